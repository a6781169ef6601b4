import ArgumentParser
import RemedyCore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit log.", subcommands: [Verify.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Walk the hash chain and name the first broken row.",
            discussion: """
            Also checks that remedy's own records (plans, approvals, runs, corrections, receivables and \
            their settlements) still have \
            their audit rows, so a truncated log shows. With --head, also prove the chain still \
            reaches a head recorded earlier: any deleted or rewritten tail shows. --head takes a bare \
            hash (apply and exports print it) or a file holding a head signed by the operator: a \
            run report (BUNDLE/runs/RUN.json), a JSON export, a notification's body, or the head \
            alone. A signed head is checked first (its signer is a trusted approver under that name \
            and role, the signature is theirs over that hash, row and database); a forged one is \
            refused. Then the chain must hold that hash at that very row.
            """)

        @Option(help: ArgumentHelp("A chain head recorded earlier: its hash, or a file with a signed head (run report, JSON export, notification body).",
                                   valueName: "HASH|FILE"), completion: .file()) var head: String?
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            var intact = false
            try Terminal.run {
                let recorded = try head.map(RecordedHead.parse)
                let connection = try database.connect()
                try RemedyStore(connection: connection).requireInitialized()
                let signer = try recorded?.checkSignature(on: connection)
                var signedSeq: Int64?
                var signedText = ""
                if case .signed(let signed, _)? = recorded, let signer {
                    signedSeq = signed.seq
                    signedText = " (row \(signed.seq), signed by \(signer.name) (\(signer.role)) at \(signed.signedAt))"
                }
                let result = try AuditLog(connection: connection).verify(recordedHead: recorded?.hash, atSeq: signedSeq)
                let finding: String?
                if let broken = result.firstBroken {
                    finding = "audit chain BROKEN at row \(broken.seq): \(broken.reason)"
                } else if !result.unaccounted.isEmpty {
                    finding = "audit chain BROKEN: rows were removed, or records added behind remedy's back: remedy's tables hold \(result.unaccounted.joined(separator: "; "))"
                } else if result.reachesRecordedHead == false {
                    finding = "audit chain intact over \(result.rows) rows, but it no longer reaches the recorded head \(recorded?.hash ?? "")\(signedText): rows were removed or rewritten since that head was recorded"
                } else {
                    finding = nil
                }
                intact = finding == nil
                if output.json {
                    try Terminal.printJSON(AuditVerifyOutput(
                        intact: intact, rows: result.rows, head: result.head, firstBrokenRow: result.firstBroken?.seq,
                        problem: finding, unaccounted: result.unaccounted, recordedHead: recorded?.hash,
                        reachesRecordedHead: result.reachesRecordedHead, recordedHeadRow: signedSeq,
                        recordedHeadSigner: signer.map { "\($0.name) (\($0.role))" }))
                } else if let finding {
                    Terminal.print(finding)
                } else {
                    Terminal.print("audit chain intact: \(result.rows) rows, head \(result.head)")
                    if let recorded { Terminal.print("reaches the recorded head \(recorded.hash)\(signedText)") }
                }
            }
            if !intact { throw ExitStatus.verificationFailed.exitCode }
        }
    }
}

struct AuditVerifyOutput: Encodable {
    let intact: Bool
    let rows: Int64
    let head: String
    let firstBrokenRow: Int64?
    /// What is wrong, as the text output says it; nil when intact.
    let problem: String?
    let unaccounted: [String]
    /// With --head: the hash recorded earlier, and whether the chain still passes through it.
    let recordedHead: String?
    let reachesRecordedHead: Bool?
    let recordedHeadRow: Int64?
    let recordedHeadSigner: String?
}
