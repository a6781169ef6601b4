import ArgumentParser
import Foundation
import RemedyCore

struct RevertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revert",
        abstract: "Plan the reversal of an applied plan: a new plan, signed off and applied like any other.",
        discussion: "Each line puts back what the applied plan took from one user and settles its receivable. A user whose books moved since is stale at apply, not blindly refunded.")

    @Argument(help: "The applied plan's bundle directory.", completion: Completion.bundle) var plan: String
    @Option(help: ArgumentHelp("The planner's key file.", valueName: "FILE"), completion: Completion.key) var key: String
    @Option(help: ArgumentHelp("Directory for the new bundle.", valueName: "DIR"), completion: .directory) var out: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var jobs: JobsOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run {
            let original = try PlanBundle.readStreaming(plan, logger: Terminal.logger)
            let spec = try JobLocator.load(job: original.bundle.plan.job, explicit: jobs.jobsDirectory)
            let written = try RevertPlanner(spec: spec, original: original, plannerKey: try SigningKey.load(path: key), connection: try database.connect())
                .plan(outDirectory: out, defaultParent: FileManager.default.currentDirectoryPath + "/remedy-plans")
            if output.json {
                try Terminal.printJSON(PlanOutput(digest: written.digest, bundle: written.path, totals: written.header.totals, warnings: written.header.warnings))
                return
            }
            PlanSummary(written: written).lines.forEach { Terminal.print($0) }
            Terminal.print("")
            Terminal.print(written.path)
        }
    }
}
