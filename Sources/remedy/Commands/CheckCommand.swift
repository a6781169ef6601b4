import ArgumentParser
import RemedyCore

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a job's mapping against a database before planning on it. Read-only; needs no key and no remedy schema.",
        discussion: """
        Reports every mapped table and column (exists, type, readable by this role: grants and \
        row-level security), how often a mapped column is NULL on the rows it is used for, \
        transaction types and statuses the ledger map leaves out, the paid top-ups in and around \
        the window, each mapped paid_at column against the callback's own paid_at (a column read \
        in the wrong zone shows an offset of hours: set schema.transactions.local_time_zone), \
        where amount_received comes from, the stored callbacks' signatures (where the \
        spec maps callback_signature: forged, altered or unsigned callbacks are listed), the balance trigger and the other triggers \
        on the users table, CHECK constraints on the balance and how large a balance its column holds, \
        and whether apply finds a batch's users and their transactions through an index (on a \
        large table, also whether its recheck can read their ledgers from an index alone: advice).

        Exit status: 0 fit to plan, 2 warnings to confirm, 1 the job cannot run here.
        `remedy plan` runs the same checks, records their warnings in plan.json and refuses where this exits 1.
        With --read-url (or REMEDY_READ_URL) the checks read that read replica, which must be a hot standby of \
        --database-url's database (the primary is only asked which cluster and database it is).

        Example:
          remedy check tripay-double-credit --param since=2025-11-20T00:00:00+07:00 \\
              --param until=2025-12-02T12:00:00+07:00
        """)

    @Argument(help: "The job to check (a directory under the jobs directory).", completion: Completion.job) var job: String
    @Option(name: .customLong("param"), help: ArgumentHelp("A job parameter as name=value; repeat for each.", valueName: "NAME=VALUE"))
    var parameters: [String] = []
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var replica: ReadReplicaOptions
    @OptionGroup var jobs: JobsOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        var exitCode: Int32 = 0
        try Terminal.run {
            let spec = try JobLocator.load(job: job, explicit: jobs.jobsDirectory)
            let resolved = try JobParameters.resolve(parameters, for: spec)
            let primary = try database.connect()
            let report = try SchemaCheck(spec: spec, parameters: resolved).run(on: primary, replica: try replica.connect(confirmingWith: primary))
            exitCode = report.exitCode
            if output.json {
                try Terminal.printJSON(CheckOutput(verdict: report.verdict, exitCode: report.exitCode, report: report))
                return
            }
            Terminal.print("Check of job \(report.job) on database \(report.database) as role \(report.role)")
            if let position = report.readReplica { Terminal.print("  read on the \(position.description)") }
            // A topic without a heading is printed last, never left out.
            let known = Set(CheckCommand.headings.map(\.0))
            let others = report.findings.contains { !known.contains($0.topic) } ? [("", "Other")] : []
            for (topic, heading) in CheckCommand.headings + others {
                let findings = report.findings.filter { topic.isEmpty ? !known.contains($0.topic) : $0.topic == topic }
                guard !findings.isEmpty else { continue }
                Terminal.print("")
                Terminal.print(heading)
                for finding in findings {
                    Terminal.print("  \(CheckCommand.marks[finding.severity]!) \(finding.message)")
                    // The balance trigger's body, for the person who must confirm what it does.
                    if finding.facts["refires"] != nil, let body = finding.facts["function_source"] {
                        for line in body.split(separator: "\n") {
                            Terminal.print("            | \(String(line))")
                        }
                    }
                }
            }
            Terminal.print("")
            switch report.verdict {
            case .fit: Terminal.print("Fit to plan: nothing to confirm.")
            case .warnings: Terminal.print("\(report.warnings.count) warning(s) to confirm before planning; plan records them in plan.json for the approvers.")
            case .cannotRun: Terminal.print("The job cannot run here: \(report.errors.count) error(s); fix job.yaml or the role's access and check again.")
            }
        }
        if exitCode != 0 { throw ExitCode(exitCode) }
    }

    /// Topics in the order they are printed.
    static let headings = [
        ("access", "Tables and columns"), ("nulls", "Mapped columns on the rows they are used for"),
        ("amount_received", "Where amount_received comes from"), ("ledger", "Transaction types and statuses"),
        ("window", "The window"), ("times", "paid_at against the callback's paid_at (the gateway's clock)"), ("callbacks", "Stored Tripay callbacks"), ("triggers", "Triggers"), ("balance", "The balance column"),
        ("indexes", "How apply finds a batch's rows"),
    ]
    static let marks: [CheckFinding.Severity: String] = [.ok: "ok     ", .info: "info   ", .warning: "WARNING", .error: "ERROR  "]
}

struct CheckOutput: Encodable {
    let verdict: CheckReport.Verdict
    let exitCode: Int32
    let report: CheckReport
}
