import ArgumentParser
import Foundation
import RemedyCore

@main
struct Remedy: ParsableCommand {
    /// Usage errors are one line too, like every other refusal; help and version print as usual.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            // A command's own verdict (2: a plan waits, 1: not every line applied): already explained.
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            guard code != .success else { exit(withError: error) }
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            FileHandle.standardError.write(Data("remedy: error: \(message.terminalSafe) (see remedy --help)\n".utf8))
            Foundation.exit(code.rawValue)
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
