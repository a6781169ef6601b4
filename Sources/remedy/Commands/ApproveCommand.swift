import ArgumentParser
import RemedyCore

struct ApproveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Sign a plan: verifies plan.json against its digest, then writes a detached signature to the bundle and the database.",
        discussion: "The signature covers the digest, the database identity and the expiry. The planner cannot approve their own plan.")

    @Argument(help: "The plan bundle directory.", completion: Completion.bundle) var plan: String
    @Option(help: ArgumentHelp("The approver's key file.", valueName: "FILE"), completion: Completion.key) var key: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run {
            // Checked line by line like apply's reading, never all held: a signature needs the
            // digest and the header, and the totals the reader recomputed from the lines.
            let bundle = try PlanBundle.readStreaming(plan, logger: Terminal.logger).bundle
            let signingKey = try SigningKey.load(path: key)
            let connection = try database.connect()
            let (record, file) = try PlanSignOff(bundle: bundle, connection: connection).approve(with: signingKey)
            // What the signature is for, in numbers the reader recomputed from the lines (it refuses
            // a plan whose stored totals differ).
            let totals = bundle.plan.totals
            if output.json {
                try Terminal.printJSON(ApproveOutput(digest: bundle.digest, name: record.name, role: record.role, signature: file, totals: totals))
                return
            }
            Terminal.print("approved plan \(bundle.digest.prefix(16))… as \(record.name) (\(record.role)): \(totals.adjustmentCount) adjustment(s) taking back \(totals.toTakeBack.rupiah) and giving back \(totals.toGiveBack.rupiah) (\(totals.owed.rupiah) left owed), \(totals.holdCount) hold(s), \(totals.settledCount) settled; totals recomputed from the lines")
            Terminal.print("signature in \(file)")
        }
    }
}

struct ApproveOutput: Encodable {
    let digest: String
    let name: String
    let role: String
    /// The signature file written into the bundle's approvals/.
    let signature: String
    /// Recomputed from the lines by the reader.
    let totals: PlanTotals
}
