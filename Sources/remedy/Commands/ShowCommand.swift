import ArgumentParser
import RemedyCore

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print a plan bundle's summary again, read as approve and apply read it.",
        discussion: """
        plan.json is checked against its digest, its canonical form, its totals, every line's arithmetic \
        and the planner's signature. When a database is configured (--database-url, DATABASE_URL or \
        libpq's PG* variables) the planner's key is also checked against the trusted set there.
        With --json the whole plan is printed, a batch of lines at a time; a line of plan.json changed \
        while it is printed stops the output there, with an error and a non-zero exit.
        """)

    @Argument(help: "The plan bundle directory.", completion: Completion.bundle) var plan: String
    @Flag(help: "Show every line, not the first of each section.") var all = false
    @Option(help: "Lines shown per section.") var maxLines = 200
    @OptionGroup var output: OutputOptions
    @OptionGroup var database: DatabaseOptions

    func run() throws {
        try Terminal.run {
            // Both read a batch of lines at a time, at any plan size.
            let streamed = try PlanBundle.readStreaming(plan, keepingHoldsAndSettled: true, gatewayChecks: .all, logger: Terminal.logger)
            let authorship = try authorship(streamed.bundle)
            if output.json {
                // A line changed after the check stops the document where it is: the error's own
                // JSON then starts a line of its own.
                defer { Terminal.writeJSON("\n") }
                try streamed.writeJSON(to: Terminal.writeJSON)
                return
            }
            try PlanSummary(streamed: streamed, maxLines: all ? Int.max : maxLines).write { Terminal.print($0) }
            Terminal.print(authorship)
            Terminal.print("")
            Terminal.print(streamed.bundle.path)
        }
    }

    /// Who made the plan, checked against the trusted set when a database is configured.
    private func authorship(_ bundle: PlanBundle) throws -> String {
        let planner = bundle.plan.planner
        guard database.configuredSource != nil else {
            return "made and signed by \(planner.name) (\(planner.role)); the key was not checked against a trusted set (no database configured)"
        }
        let trusted = try bundle.trustedPlanner(on: try database.connect())
        return "made and signed by \(trusted.name) (\(trusted.role)), a trusted key in this database"
    }
}
