import Foundation

/// The run of record's facts: when, on what, which code.
enum RunHeader {
    static func lines(remedyPath: String, mode: String) -> [String] {
        let date = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withInternetDateTime])
        return [
            "## remedy-benchmark run, \(date)",
            "",
            "- Machine: \(Machine.description); load average \(Machine.loadAverage) at start.",
            "- remedy: \(remedyPath), commit \(commit()).",
            "- Shops: \(mode).",
        ]
    }

    /// `git rev-parse --short HEAD` of the working directory, "+ uncommitted changes" when dirty.
    static func commit() -> String {
        let directory = NSTemporaryDirectory() + "remedy-benchmark-git-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)) != nil,
              let head = try? ChildRun.run(["/usr/bin/env", "git", "rev-parse", "--short", "HEAD"], stdoutPath: directory + "/head", stderrPath: directory + "/err"),
              head.exitStatus == 0,
              let status = try? ChildRun.run(["/usr/bin/env", "git", "status", "--porcelain", "--untracked-files=no"], stdoutPath: directory + "/status", stderrPath: directory + "/err")
        else { return "unknown (not a git checkout)" }
        let hash = ((try? String(contentsOfFile: directory + "/head", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
        let dirty = status.exitStatus == 0 && !(((try? String(contentsOfFile: directory + "/status", encoding: .utf8)) ?? "").isEmpty)
        return hash + (dirty ? " + uncommitted changes" : "")
    }
}
