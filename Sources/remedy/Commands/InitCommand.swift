import ArgumentParser
import RemedyCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create or upgrade remedy's schema and record the trusted approvers (idempotent).",
        discussion: "After the first init the trusted set changes only through `remedy approvers update`, signed by the current quorum; a different local file is refused.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: ArgumentHelp("The approvers file: `approvers:` followed by entries printed by `remedy keygen`.", valueName: "FILE"),
            completion: Completion.yaml)
    var approvers: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run {
            let file = try ApproverFile.load(path: approvers)
            let connection = try database.connect()
            let result = try RemedyStore(connection: connection).initialize(approvers: file)
            if output.json {
                try Terminal.printJSON(InitOutput(fromVersion: result.fromVersion, toVersion: result.toVersion, approverSet: result.approverSetVersion,
                                                  createdApprovers: result.createdApprovers,
                                                  approvers: result.createdApprovers ? file.approvers : nil, quorum: result.createdApprovers ? file.quorum : nil))
                return
            }
            Terminal.print(result.fromVersion == result.toVersion
                ? "remedy schema is at version \(result.toVersion) (no change)"
                : "remedy schema upgraded from version \(result.fromVersion) to \(result.toVersion)")
            Terminal.print(result.createdApprovers
                ? "trusted approvers recorded (set 1): \(file.approvers.map { "\($0.name) (\($0.role))" }.joined(separator: ", ")); changes need \(file.quorum.joined(separator: " + "))"
                : "trusted approvers unchanged (set \(result.approverSetVersion))")
        }
    }
}

struct InitOutput: Encodable {
    let fromVersion: Int
    let toVersion: Int
    let approverSet: Int
    /// True the first time: the file's approvers (and the quorum for changes) were recorded.
    let createdApprovers: Bool
    let approvers: [Approver]?
    let quorum: [String]?
}
