import ArgumentParser
import RemedyCore

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create or upgrade remedy's schema and record the trusted approvers (idempotent).",
        discussion: "After the first init the trusted set changes only through `remedy approvers update`, signed by the current quorum; a different local file is refused.")

    @OptionGroup var database: DatabaseOptions
    @Option(help: ArgumentHelp("The approvers file: `approvers:` followed by entries printed by `remedy keygen`.", valueName: "FILE"))
    var approvers: String

    func run() throws {
        try Terminal.run {
            let file = try ApproverFile.load(path: approvers)
            let connection = try database.connect()
            let result = try RemedyStore(connection: connection).initialize(approvers: file)
            Terminal.print(result.fromVersion == result.toVersion
                ? "remedy schema is at version \(result.toVersion) (no change)"
                : "remedy schema upgraded from version \(result.fromVersion) to \(result.toVersion)")
            Terminal.print(result.createdApprovers
                ? "trusted approvers recorded (set 1): \(file.approvers.map { "\($0.name) (\($0.role))" }.joined(separator: ", ")); changes need \(file.quorum.joined(separator: " + "))"
                : "trusted approvers unchanged (set \(result.approverSetVersion))")
        }
    }
}
