import Foundation
import Logging
import RemedyCore

/// How log lines are written: for people (`text`) or one JSON object a line (`json`, for
/// journald and Kubernetes). `--log-format` or `REMEDY_LOG_FORMAT`.
enum LogFormat: String, CaseIterable {
    case text, json
}

/// remedy's log lines for people, on stderr, through `Terminal.progress` (so a message or a
/// metadata value carrying a string from the database, such as a NOTICE that quotes a username,
/// is shown escaped like everything else a person reads).
///
/// remedy's own progress events (metadata `step`) show as their message; one with `done` and
/// `total` is progress: on a terminal one line updated in place with the rate and the time
/// left, elsewhere a plain line every few seconds (and the last one). Other events show their
/// level and metadata.
struct TerminalLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        guard let step = all["step"].map({ "\($0)" }) else {
            let fields = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            Terminal.progress("\(event.level): \(event.message)\(fields.isEmpty ? "" : " [\(fields.joined(separator: " "))]")")
            return
        }
        if let done = all["done"].flatMap({ Int("\($0)") }) {
            ProgressLine.shared.report(step: step, done: done, total: all["total"].flatMap { Int("\($0)") }, message: "\(event.message)")
        } else {
            Terminal.progress("\(event.message)")
        }
    }
}

/// One JSON object a line on stderr: time, level, label, message and every metadata field as a
/// string (job, plan digest, batch, counts…). Exact JSON, escaped like `--json` output.
struct JSONLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    let label: String

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
        fields["time"] = Timestamp(date: Date()).description
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(fields) else { return }
        Terminal.writeStandardError(safe: TerminalSafe.json(String(decoding: data, as: UTF8.self)) + "\n")
    }
}

/// The progress line of long steps (detect, apply…): on a terminal rewritten in place, elsewhere
/// a line at most every `plainIntervalSeconds`. Anything else printed first ends the line.
final class ProgressLine: @unchecked Sendable {
    static let shared = ProgressLine()
    static let plainIntervalSeconds = 5.0
    private let lock = NSLock()
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var open = false
    private var started: [String: (at: Date, done: Int)] = [:]
    private var lastPlain: [String: Date] = [:]

    func report(step: String, done: Int, total: Int?, message: String) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        let start = started[step] ?? (now, done)
        started[step] = start
        let finished = total.map { done >= $0 } ?? false
        var line = message
        let seconds = now.timeIntervalSince(start.at)
        if seconds >= 1, done > start.done {
            let rate = Double(done - start.done) / seconds
            line += String(format: ", %.0f/s", rate)
            if let total, !finished, rate > 0 { line += ", about \(Int((Double(total - done) / rate).rounded(.up))) s left" }
        }
        if isTerminal {
            Terminal.writeStandardError(safe: "\r\u{1b}[K\("remedy: \(line)".terminalSafe)\(finished ? "\n" : "")")
            open = !finished
        } else if finished || lastPlain[step].map({ now.timeIntervalSince($0) >= ProgressLine.plainIntervalSeconds }) ?? true {
            lastPlain[step] = now
            Terminal.writeStandardError(safe: "remedy: \(line.terminalSafe)\n")
        }
        if finished { started[step] = nil; lastPlain[step] = nil }
    }

    /// Ends an open progress line before anything else is written.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard open else { return }
        Terminal.writeStandardError(safe: "\n")
        open = false
    }
}
