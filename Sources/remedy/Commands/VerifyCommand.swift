import ArgumentParser
import RemedyCore

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the excess of every user line of a plan against what the line leaves; non-zero exit on any residual.",
        discussion: "A correction leaves an excess of zero; a revert leaves the excess it put back. Every line is checked, whichever run applied it, and a line never applied shows as a residual.")

    @Argument(help: "The plan bundle directory.", completion: Completion.bundle) var plan: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var jobs: JobsOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        var clean = false
        try Terminal.run {
            let streamed = try PlanBundle.readStreaming(plan)
            let spec = try JobLocator.load(job: streamed.bundle.plan.job, explicit: jobs.jobsDirectory)
            let connection = try database.connect()
            let result = try Verifier(spec: spec, streamed: streamed, connection: connection).verify(actor: "verify")
            clean = result.isClean
            if output.json { try Terminal.printJSON(result); return }
            for residual in result.residuals {
                Terminal.print("residual  \(residual.userId)  excess \(residual.excess.rupiah), the plan leaves \(residual.expectedExcess.rupiah) (balance \(residual.balance.rupiah))")
            }
            Terminal.print("\(result.usersChecked) user(s) of the plan checked: \(result.isClean ? "all as the plan leaves them" : "\(result.residuals.count) residual(s)")")
            Terminal.print("audit chain head \(result.auditHead)")
        }
        if !clean { throw ExitStatus.verificationFailed.exitCode }
    }
}
