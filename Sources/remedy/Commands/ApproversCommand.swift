import ArgumentParser
import RemedyCore

struct ApproversCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvers",
        abstract: "The trusted approvers: list them, or change them with the current quorum's signatures.",
        subcommands: [List.self, Sign.self, Update.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the trusted approvers recorded in the database.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try Terminal.run {
                let store = RemedyStore(connection: try database.connect())
                try store.requireInitialized()
                guard let set = try store.currentApproverSet() else { throw RemedyError(.notInitialized, "no approvers recorded; run `remedy init`") }
                if output.json {
                    try Terminal.printJSON(ApproversListOutput(version: set.version, digest: set.digest, quorum: set.quorum, approvers: set.approvers))
                    return
                }
                Terminal.print("approver set \(set.version); changes need \(set.quorum.joined(separator: " + "))")
                for approver in set.approvers { Terminal.print("  \(approver.name) (\(approver.role)) \(approver.publicKey.base64)") }
            }
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a new approvers file as one of the current approvers (writes FILE.approvals/).")
        @Argument(help: "The new approvers file.", completion: Completion.yaml) var file: String
        @Option(help: ArgumentHelp("Your key file.", valueName: "FILE"), completion: Completion.key) var key: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try Terminal.run {
                let signature = try ApproverSetUpdate(path: file, connection: try database.connect()).sign(with: try SigningKey.load(path: key))
                if output.json { try Terminal.printJSON(["signature": signature]); return }
                Terminal.print("signed; signature in \(signature)")
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a new approvers file, if the current quorum signed it.")
        @Argument(help: "The new approvers file (signatures in FILE.approvals/).", completion: Completion.yaml) var file: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try Terminal.run {
                let version = try ApproverSetUpdate(path: file, connection: try database.connect()).apply()
                if output.json { try Terminal.printJSON(["approver_set": version]); return }
                Terminal.print("trusted approvers updated to set \(version)")
            }
        }
    }
}

struct ApproversListOutput: Encodable {
    let version: Int
    let digest: String
    let quorum: [String]
    let approvers: [Approver]
}
