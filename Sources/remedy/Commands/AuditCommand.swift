import ArgumentParser
import RemedyCore

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The audit log.", subcommands: [Verify.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Walk the hash chain and name the first broken row.",
            discussion: "Also checks that remedy's own records (plans, approvals, runs, corrections, receivables and their settlements) still have their audit rows, so a truncated log shows. With --head, also prove the chain still reaches a head recorded earlier (apply and exports print it): any deleted or rewritten tail shows.")

        @Option(help: ArgumentHelp("A chain head recorded earlier.", valueName: "HASH")) var head: String?
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            var intact = false
            try Terminal.run {
                let connection = try database.connect()
                try RemedyStore(connection: connection).requireInitialized()
                let result = try AuditLog(connection: connection).verify(recordedHead: head)
                if let broken = result.firstBroken {
                    Terminal.print("audit chain BROKEN at row \(broken.seq): \(broken.reason)")
                } else if !result.unaccounted.isEmpty {
                    Terminal.print("audit chain BROKEN: rows were removed, or records added behind remedy's back: remedy's tables hold \(result.unaccounted.joined(separator: "; "))")
                } else if result.reachesRecordedHead == false {
                    Terminal.print("audit chain intact over \(result.rows) rows, but it no longer reaches the recorded head \(head ?? ""): rows were removed or rewritten since that head was recorded")
                } else {
                    intact = true
                    Terminal.print("audit chain intact: \(result.rows) rows, head \(result.head)")
                }
            }
            if !intact { throw ExitCode(1) }
        }
    }
}
