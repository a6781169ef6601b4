import Foundation
import Testing
import TestSupport

/// The unit files and crontab lines runbooks/scheduled-drift.md shows are copied as they are, so
/// they must work as they are: no comment after a value (systemd makes it part of the value, and
/// `EnvironmentFile=/etc/remedy/env # …` then names a file that does not exist), and a cron line
/// exports what it sources and names the binary by its full path (cron's PATH is /usr/bin:/bin).
@Suite("Runbooks: scheduled-drift's unit files and cron lines")
struct RunbookSchedulingTests {
    static let runbook = repositoryRoot.appendingPathComponent("runbooks/scheduled-drift.md").path

    /// The bodies of the fenced code blocks whose info string is `language`.
    static func blocks(_ language: String) throws -> [[String]] {
        let lines = try String(contentsOfFile: runbook, encoding: .utf8).components(separatedBy: "\n")
        var blocks: [[String]] = []
        var current: [String]?
        for line in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current != nil {
                if trimmed == "```" { blocks.append(current!); current = nil } else { current!.append(line) }
            } else if trimmed == "```" + language {
                current = []
            }
        }
        return blocks
    }

    @Test func theUnitFilesHaveNoCommentAfterAValue() throws {
        let units = try Self.blocks("ini")
        #expect(units.count == 2, "a service and a timer")
        var environmentFiles = 0
        for unit in units {
            for line in unit {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), !trimmed.hasPrefix(";"), !trimmed.hasPrefix("[") else { continue }
                let parts = trimmed.split(separator: "=", maxSplits: 1).map(String.init)
                try #require(parts.count == 2, "not a `Key=value` line: \(line)")
                #expect(!parts[1].contains("#"), "systemd takes a comment after a value as part of the value: \(line)")
                if parts[0] == "EnvironmentFile" {
                    environmentFiles += 1
                    let path = parts[1].hasPrefix("-") ? String(parts[1].dropFirst()) : parts[1]
                    #expect(path.hasPrefix("/") && !path.contains(where: \.isWhitespace), "EnvironmentFile must be one absolute path: \(line)")
                }
            }
        }
        #expect(environmentFiles == 1)
    }

    /// Where the machine has systemd-analyze, systemd itself parses the units. The only complaint
    /// allowed is that /usr/local/bin/remedy is not installed on this machine.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze"), "systemd-analyze is not installed"))
    func systemdParsesTheUnitsWithoutComplaint() throws {
        let units = try Self.blocks("ini")
        try #require(units.count == 2)
        let directory = NSTemporaryDirectory() + "remedy-units-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let service = "\(directory)/remedy-drift.service", timer = "\(directory)/remedy-drift.timer"
        try units[0].joined(separator: "\n").appending("\n").write(toFile: service, atomically: true, encoding: .utf8)
        try units[1].joined(separator: "\n").appending("\n").write(toFile: timer, atomically: true, encoding: .utf8)

        let output = "\(directory)/verify.out"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify", "--man=no", service, timer]
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = process.standardOutput
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let complaints = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
            .filter { !$0.contains("Command /usr/local/bin/remedy is not executable") }
        #expect(complaints.isEmpty, "systemd-analyze verify: \(complaints.joined(separator: " | "))")
    }

    @Test func everyCronLineHasFiveTimeFieldsAUserAndExportsWhatItSources() throws {
        let lines = try Self.blocks("cron").flatMap { $0 }.filter {
            let trimmed = $0.trimmingCharacters(in: .whitespaces)
            return !trimmed.isEmpty && !trimmed.hasPrefix("#")
        }
        try #require(!lines.isEmpty, "the runbook shows a cron line")
        for line in lines {
            let fields = line.split(separator: " ", maxSplits: 6, omittingEmptySubsequences: true).map(String.init)
            try #require(fields.count == 7, "five time fields, the user, the command: \(line)")
            let timeField = /^[0-9*\/,\-]+$/
            for field in fields[0..<5] {
                #expect(field.wholeMatch(of: timeField) != nil, "not a time field: \(field) in \(line)")
            }
            #expect(fields[5].wholeMatch(of: /[a-z_][a-z0-9_-]*/) != nil, "the sixth field is the user in /etc/cron.d: \(line)")
            let command = fields[6]
            #expect(!command.contains("%"), "cron turns % into a newline: \(line)")
            let statements = command.split(separator: ";").flatMap { $0.components(separatedBy: "&&") }
                .map { $0.trimmingCharacters(in: .whitespaces) }
            var exporting = false
            for statement in statements {
                if statement == "set -a" { exporting = true }
                if statement == "set +a" { exporting = false }
                if statement.hasPrefix(". ") || statement.hasPrefix("source ") {
                    #expect(exporting, "sourcing without `set -a` leaves the variables unexported, so remedy does not see them: \(line)")
                }
                let program = statement.split(separator: " ").first.map(String.init) ?? ""
                if program.hasSuffix("remedy") {
                    #expect(program.hasPrefix("/"), "cron's PATH is /usr/bin:/bin; name remedy by its full path: \(line)")
                }
            }
        }
    }
}
