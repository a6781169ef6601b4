import ArgumentParser
import RemedyCore

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the excess of every user line of a plan against what the line leaves; non-zero exit on any residual.",
        discussion: """
        A correction leaves an excess of zero; a revert leaves the excess it put back. Every line is checked, \
        whichever run applied it, and a line never applied shows as a residual. The outcome is recorded in the \
        audit log (verify.finished) unless --read-only is given; with --read-only, --read-url (or REMEDY_READ_URL) \
        reads a hot standby of --database-url's database instead, as of its replay position.
        """)

    @Argument(help: "The plan bundle directory.", completion: Completion.bundle) var plan: String
    @Flag(help: "Write nothing (no verify.finished audit row); the audit head printed is the chain's head as read. Needed for --read-url.")
    var readOnly = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var replica: ReadReplicaOptions
    @OptionGroup var jobs: JobsOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        // A replica's view may lag: it is never recorded as the outcome in the audit log.
        if replica.readURL != nil, !readOnly { throw ValidationError("--read-url needs --read-only: a verify that records its outcome in the audit log reads the primary") }
    }

    func run() throws {
        var clean = false
        try Terminal.run {
            let streamed = try PlanBundle.readStreaming(plan, logger: Terminal.logger)
            let spec = try JobLocator.load(job: streamed.bundle.plan.job, explicit: jobs.jobsDirectory)
            let connection = try database.connect()
            let verifier = Verifier(spec: spec, streamed: streamed, connection: connection)
            let result = readOnly ? try verifier.verifyReadOnly(replica: try replica.connect(confirmingWith: connection))
                                  : try verifier.verify(actor: "verify")
            clean = result.isClean
            if output.json { try Terminal.printJSON(result); return }
            for residual in result.residuals {
                Terminal.print("residual  \(residual.userId)  excess \(residual.excess.rupiah), the plan leaves \(residual.expectedExcess.rupiah) (balance \(residual.balance.rupiah))")
            }
            Terminal.print("\(result.usersChecked) user(s) of the plan checked: \(result.isClean ? "all as the plan leaves them" : "\(result.residuals.count) residual(s)")")
            if let position = result.readReplica { Terminal.print("read on the \(position.description)") }
            Terminal.print("audit chain head \(result.auditHead)\(result.readOnly ? " (as read; --read-only recorded nothing)" : "")")
        }
        if !clean { throw ExitStatus.verificationFailed.exitCode }
    }
}
