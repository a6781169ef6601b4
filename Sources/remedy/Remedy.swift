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
            var command = try parseAsRoot(try takeLogFormat(from: Array(CommandLine.arguments.dropFirst())))
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


    /// `--log-format text|json` is for every command: taken off the arguments before they are
    /// parsed, so the first log line is already in that format.
    static func takeLogFormat(from arguments: [String]) throws -> [String] {
        var rest: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            var value: String?
            if argument == "--log-format" {
                guard index + 1 < arguments.count else { throw ValidationError("--log-format needs a value: text or json") }
                value = arguments[index + 1]
                index += 1
            } else if argument.hasPrefix("--log-format=") {
                value = String(argument.dropFirst("--log-format=".count))
            } else if argument == "--" {
                rest += arguments[index...]
                break
            } else {
                rest.append(argument)
            }
            if let value {
                guard let format = LogFormat(rawValue: value) else { throw ValidationError("--log-format is text or json, not \"\(value.prefix(20))\"") }
                Terminal.logFormat = format
            }
            index += 1
        }
        return rest
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

        Logs and progress go to stderr: for people by default, or one JSON object a line with \
        --log-format json (or REMEDY_LOG_FORMAT=json), with job, plan digest, batch and counts as \
        fields; REMEDY_LOG_LEVEL (debug … error) sets how much. Progress on a terminal is one \
        line updated in place with the rate and the time left. Neither ever goes to stdout.

        \(ExitStatus.help)
        """,
        version: remedyVersionLine,
        subcommands: [
            DemoCommand.self, InitCommand.self, KeygenCommand.self, CheckCommand.self, PlanCommand.self, ShowCommand.self,
            ApproveCommand.self, ApplyCommand.self, VerifyCommand.self, ExportCommand.self, RevertCommand.self, EvidenceCommand.self, AuditCommand.self,
            ApproversCommand.self, RunCommand.self, AcknowledgeCommand.self, PolicyCommand.self, LeaseCommand.self,
            SimulateCommand.self,
        ]
    )
}
