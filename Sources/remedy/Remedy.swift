import ArgumentParser
import Foundation
import RemedyCore

@main
struct Remedy: ParsableCommand {
    /// Usage errors as argument-parser prints them (the error, the failing subcommand's usage
    /// line and its help hint), each line through the sanitiser, exit 1; help and version print
    /// as usual. A command's own verdict arrives as an ExitCode (ExitStatus), already explained.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            guard exitCode(for: error) != .success else { exit(withError: error) }
            let lines = fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            if Terminal.jsonRequested {
                Terminal.printJSONError(code: "usage", message: lines.first.map { $0.hasPrefix("Error: ") ? String($0.dropFirst(7)) : $0 } ?? "invalid arguments")
            }
            for (index, line) in lines.enumerated() {
                let text = index == 0 && line.hasPrefix("Error: ") ? "remedy: error: " + line.dropFirst(7) : line
                FileHandle.standardError.write(Data("\(text.terminalSafe)\n".utf8))
            }
            Foundation.exit(ExitStatus.error.rawValue)
        }
    }


    static let configuration = CommandConfiguration(
        commandName: "remedy",
        abstract: "Repair wallet balances after money bugs: detect → plan → approve → apply → verify, exactly once, audited.",
        discussion: """
        remedy runs remediation jobs (jobs/NAME/job.yaml + SQL) against the shop's PostgreSQL. \
        A plan is a dry run that changes nothing; apply needs the plan's approvals by a quorum \
        of trusted people and moves each balance once, with an audit row.

        The database comes from --database-url, DATABASE_URL, or libpq's own environment \
        (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, ~/.pgpass, PGSERVICE).

        Start with `remedy demo`: a throwaway PostgreSQL with a simulated incident, the whole \
        pipeline, then everything removed.

        \(ExitStatus.help)
        """,
        version: remedyVersionLine,
        subcommands: [
            DemoCommand.self, InitCommand.self, KeygenCommand.self, CheckCommand.self, PlanCommand.self, ShowCommand.self,
            ApproveCommand.self, ApplyCommand.self, VerifyCommand.self, ExportCommand.self, RevertCommand.self, AuditCommand.self,
            ApproversCommand.self, RunCommand.self, AcknowledgeCommand.self, PolicyCommand.self, LeaseCommand.self,
            SimulateCommand.self,
        ]
    )
}
