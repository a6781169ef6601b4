import ArgumentParser
import RemedyCore

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply an approved plan exactly once, in short audited batches.",
        discussion: """
        Refuses, naming the reason, unless plan.json matches its digest, the job spec is unchanged, \
        the database is the plan's, the plan is unexpired, the approvals meet the quorum and each \
        batch can find its users' rows through an index (remedy check, topic indexes; \
        --allow-unindexed-recheck accepts a large table without one). Lines whose excess changed since the plan are skipped as stale. Safe to re-run after any \
        interruption: nothing is applied twice. Exits 0 only if every line is applied (or was \
        already); 3 if any line was refused (stale, residual, would go negative, user gone); 1 if \
        live traffic kept a row locked through every retry (run apply again); 130 if stopped by \
        Ctrl-C or SIGTERM: the batches under way finish, the run's report is written, and apply \
        run again takes the rest (a second Ctrl-C stops at once; the batch in the database rolls back).
        """)

    @Argument(help: "The plan bundle directory.", completion: Completion.bundle) var plan: String
    @Option(help: ArgumentHelp("The operator's key file (a trusted approver).", valueName: "FILE"), completion: Completion.key) var key: String
    @Flag(help: "Go on where the shop has no index to find a batch's users by (users' id, transactions' user column) and the table is over 32 MB: each batch then reads the whole table while it holds its users' rows locked, and their live top-ups wait.")
    var allowUnindexedRecheck = false
    @Option(help: ArgumentHelp("How many batches run side by side, each in its own transaction on its own connection (1 to 8). What is written is the same; only the order batches commit in differs. Each needs a connection free (a pooler's pool too) and pays only with a server core to spare for it (BENCHMARKS.md); 1 runs the batches one after another.", valueName: "N"))
    var connections = Applier.defaultConnections
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var jobs: JobsOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard Applier.connectionRange.contains(connections) else {
            throw ValidationError("--connections must be from \(Applier.connectionRange.lowerBound) to \(Applier.connectionRange.upperBound), not \(connections)")
        }
    }

    func run() throws {
        var status = ExitStatus.ok
        try Terminal.run {
            // The plan's lines are read a batch at a time, never all held: memory stays flat at any size.
            let streamed = try PlanBundle.readStreaming(plan, logger: Terminal.logger)
            let spec = try JobLocator.load(job: streamed.bundle.plan.job, explicit: jobs.jobsDirectory)
            let signingKey = try SigningKey.load(path: key)
            let connection = try database.connect()
            let stop = ApplyInterrupt.install()
            let report = try Applier(spec: spec, streamed: streamed, connection: connection, logger: Terminal.logger)
                .apply(operatorKey: signingKey, allowUnindexedRecheck: allowUnindexedRecheck, connections: connections, connect: database.connect, stop: stop)
            // Lines apply would not move (stale, residual, would go negative, gone) are refused;
            // lines live traffic kept locked are an error to retry; a run stopped early says so first.
            if report.linesNotReached > 0 {
                status = .interrupted
            } else if !report.isComplete {
                status = report.counts.refused > 0 ? .refused : .error
            }
            // The lines are read back from the run report a batch at a time, never all held. If it
            // could not be written (apply warned), the run is still done: the audit log has them.
            if output.json {
                try report.writeJSON(to: Terminal.writeJSON)
                Terminal.writeJSON("\n")
                return
            }
            if report.path == nil {
                Terminal.print("the run report could not be written: its lines are in the audit log (remedy export \(plan) reads them there and lists the missing report as a discrepancy to explain)")
            } else {
                try report.forEachLine { line in
                    switch line {
                    case .applied(let line):
                        Terminal.print("applied  \(line.delta.signedRupiah)  \(line.label.terminalLabel)  \(line.balanceBefore.rupiah) → \(line.balanceAfter.rupiah)\(line.receivable.isPositive ? "  (owed \(line.receivable.rupiah))" : "")")
                    case .skipped(let line):
                        Terminal.print("skipped  \(line.label.terminalLabel)  [\(line.reason.rawValue)] planned excess \(line.plannedExcess.rupiah), now \(line.currentExcess?.rupiah ?? "unknown")")
                    case .alreadyApplied:
                        break
                    }
                }
            }
            Terminal.print("")
            let counts = report.counts
            Terminal.print("applied \(counts.applied), already applied \(counts.alreadyApplied), skipped \(counts.skipped); taken back \(report.takenBack.rupiah), receivables opened \(report.receivablesOpened.rupiah)")
            Terminal.print("approved by \(report.approvers.joined(separator: ", ")); run \(report.runId)")
            if let signed = report.signedAuditHead, let path = report.path {
                Terminal.print("signed by \(signed.name) as row \(signed.seq) in \(path): keep it (remedy audit verify --head FILE)")
            }
            Terminal.print("audit chain head \(report.auditHead)")
            if report.linesNotReached > 0 {
                Terminal.print("interrupted: \(report.linesNotReached) lines not reached; run the same remedy apply again to finish (nothing is applied twice)")
            }
        }
        if status != .ok { throw status.exitCode }
    }
}
