import ArgumentParser
import Foundation
import RemedyCore

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "The dry run: detect, attribute and write a plan bundle for sign-off. Changes no shop data.",
        discussion: """
        Example:
          remedy plan tripay-double-credit --param since=2025-11-20T00:00:00+07:00 \\
              --param until=2025-12-02T12:00:00+07:00 --key planner.key
        The last line of output is the bundle's path (with --json: one JSON document, the path in "bundle";
        with --detailed-exitcode and no drift, no plan is written and "bundle" is absent).
        Runs `remedy check`'s probes in the same snapshot first: refuses where check would exit 1;
        its warnings are printed, recorded in plan.json for the approvers, and listed in --json's "warnings".
        With --read-url (or REMEDY_READ_URL) the snapshot is taken on that read replica, which must be a hot \
        standby of --database-url's database; plan.json records the replica and its replay position. The \
        planner's key is checked, and the plan recorded, on --database-url. Apply, on the primary, skips as \
        stale every line that changed after the replica's position.
        With --gateway-evidence the plan is then cross-checked with the payment gateway as `remedy evidence` \
        does (the job's gateway: section, its API key in the environment): the unchecked plan goes to \
        OUT-unchecked (or the default directory) and the checked plan, the one to approve, to --out.
        """)

    @Argument(help: "The job to plan (a directory under the jobs directory).", completion: Completion.job) var job: String
    @Option(name: .customLong("param"), help: ArgumentHelp("A job parameter as name=value; repeat for each.", valueName: "NAME=VALUE"))
    var parameters: [String] = []
    @Option(help: ArgumentHelp("The planner's key file (must be a trusted approver).", valueName: "FILE"), completion: Completion.key) var key: String
    @Option(help: ArgumentHelp("Directory for the bundle (default: ./remedy-plans/JOB-TIME-DIGEST).", valueName: "DIR"), completion: .directory) var out: String?
    @Option(help: "Lines shown per section of the summary.") var maxLines = 200
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var replica: ReadReplicaOptions
    @OptionGroup var jobs: JobsOptions
    @OptionGroup var output: OutputOptions
    @Flag(help: "Exit 0 when there is no drift beyond acknowledged holds (no plan written), 2 when there is (plan written), 1 on error.")
    var detailedExitcode = false
    @Flag(help: "Then cross-check every top-up with the payment gateway (as `remedy evidence`); the checked plan is the one written to --out.")
    var gatewayEvidence = false

    func run() throws {
        var exitCode: Int32 = 0
        try Terminal.run {
            let spec = try JobLocator.load(job: job, explicit: jobs.jobsDirectory)
            let resolved = try JobParameters.resolve(parameters, for: spec)
            let signingKey = try SigningKey.load(path: key)
            if gatewayEvidence { _ = try GatewayEvidenceRun.requireReady(spec: spec, environment: ProcessInfo.processInfo.environment) }
            // Before detect: a bundle (and, with the gateway's check, the unchecked one) is never overwritten.
            let uncheckedOut = out.map { $0 + "-unchecked" }
            try PlanBundle.requireNew(out)
            if gatewayEvidence { try PlanBundle.requireNew(uncheckedOut) }
            // The primary: trust, identity, the plan's record. The replica, if any: the snapshot.
            let connection = try database.connect()
            let readReplica = try replica.connect(confirmingWith: connection)
            // The lines go to a spool beside the bundle as they are decided, never all in memory.
            let defaultParent = FileManager.default.currentDirectoryPath + "/remedy-plans"
            let spooled = try Planner(spec: spec, parameters: resolved, plannerKey: signingKey, connection: connection,
                                      readReplica: readReplica, logger: Terminal.logger)
                .spool(in: PlanBundle.temporaryParent(for: out, defaultParent: defaultParent), previewLines: maxLines)
            let totals = spooled.header.totals
            if detailedExitcode, !totals.hasDrift {
                spooled.discard()
                if output.json {
                    try Terminal.printJSON(PlanOutput(digest: nil, bundle: nil, totals: totals, warnings: spooled.header.warnings,
                                                      readReplica: spooled.header.readReplica))
                    return
                }
                Terminal.print("no drift beyond \(totals.acknowledgedCount) acknowledged hold(s); no plan written")
                return
            }
            if detailedExitcode { exitCode = 2 }
            if gatewayEvidence {
                // The unchecked plan is kept and recorded like any plan: the checked one names its digest.
                let unchecked = try PlanRecorder(connection: connection, plannerKey: signingKey)
                    .write(spooled, outDirectory: uncheckedOut, defaultParent: defaultParent)
                let outcome = try GatewayEvidenceRun(spec: spec, plannerKey: signingKey, connection: connection, logger: Terminal.logger)
                    .run(source: try PlanBundle.readStreaming(unchecked.path, keepingHoldsAndSettled: true), outDirectory: out, defaultParent: defaultParent)
                try EvidenceCommand.report(outcome, json: output.json, maxLines: maxLines, unchecked: unchecked.path)
                return
            }
            let written = try PlanRecorder(connection: connection, plannerKey: signingKey).write(spooled, outDirectory: out, defaultParent: defaultParent)
            if output.json {
                // One JSON document and nothing else, as apply and verify print: the path is its "bundle".
                try Terminal.printJSON(PlanOutput(digest: written.digest, bundle: written.path, totals: totals, warnings: spooled.header.warnings,
                                                  readReplica: spooled.header.readReplica))
                return
            }
            PlanSummary(written: written).lines.forEach { Terminal.print($0) }
            Terminal.print("")
            Terminal.print(written.path)
        }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }
}

struct PlanOutput: Encodable {
    /// nil (absent) when `--detailed-exitcode` found no drift and wrote no plan.
    let digest: String?
    let bundle: String?
    let totals: PlanTotals
    let warnings: [String]
    /// The read replica and its replay position, as plan.json records them (absent on the primary).
    var readReplica: ReadReplicaPosition? = nil
}
