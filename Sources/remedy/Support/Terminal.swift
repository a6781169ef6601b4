import ArgumentParser
import EphemeralPostgres
import Foundation
import Logging
import Postgres
import RemedyCore

/// Printing: results on stdout, progress and errors on stderr, errors as one line.
///
/// Every line a person reads leaves through `print`, `progress` or `fail` (logs through
/// `TerminalLogHandler`, usage errors through `Remedy.main`), and each sends it through
/// `TerminalSafe`: a username, contact, explanation, name or path from the database, a plan or a
/// bundle can hold ESC sequences, `\r`, C1 controls or bidi overrides, shown escaped (`\u{1b}`).
/// One call is one line: a line break inside a value is shown as `\u{a}`, never obeyed.
enum Terminal {
    /// Set from `--log-format` (Remedy.main) or REMEDY_LOG_FORMAT before the first log line.
    nonisolated(unsafe) static var logFormat = ProcessInfo.processInfo.environment["REMEDY_LOG_FORMAT"].flatMap(LogFormat.init(rawValue:)) ?? .text

    /// remedy's own progress and events (notice and up by default; REMEDY_LOG_LEVEL).
    static let logger = makeLogger(label: "remedy", defaultLevel: .notice)
    /// The libraries' (the database layer's, the throwaway cluster's): warnings and up by default.
    static let libraryLogger = makeLogger(label: "remedy.postgres", defaultLevel: .warning)

    private static func makeLogger(label: String, defaultLevel: Logger.Level) -> Logger {
        let level = ProcessInfo.processInfo.environment["REMEDY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? defaultLevel
        let format = logFormat
        return Logger(label: label) { label in
            format == .json ? JSONLogHandler(logLevel: level, label: label) as any LogHandler : TerminalLogHandler(logLevel: level)
        }
    }

    /// Bytes for stderr that their writer already made safe (a JSON log line, a progress line
    /// with its carriage return): the log handlers' one way out.
    static func writeStandardError(safe text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func progress(_ line: String) {
        if logFormat == .json {
            logger.notice("\(line)")
            return
        }
        ProgressLine.shared.close()
        FileHandle.standardError.write(Data("remedy: \(line.terminalSafe)\n".utf8))
    }

    static func print(_ line: String = "") {
        ProgressLine.shared.close()
        Swift.print(line.terminalSafe)
        fflush(nil)  // all streams: keeps stdout in step with progress on stderr when both go to one place
    }

    /// Exact JSON: what the encoder escapes stays its escape; the C1, bidi and other characters
    /// it leaves raw are written as JSON escapes, which decode to the same strings.
    static func printJSON<T: Encodable>(_ value: T) throws {
        Swift.print(TerminalSafe.json(String(decoding: try OutputJSON.makeEncoder().encode(value), as: UTF8.self)))
    }

    /// JSON, or a piece of a document printed in parts (`show --json`), escaped as `printJSON` escapes.
    static func writeJSON(_ piece: String) {
        FileHandle.standardOutput.write(Data(TerminalSafe.json(piece).utf8))
    }

    /// An export on stdout. JSON stays exact JSON (`TerminalSafe.json`). CSV and HTML keep their
    /// exact bytes when redirected; when stdout is a terminal a person is reading them, so each
    /// line goes through `print` (a CSV's CR before the line break is dropped, not shown).
    static func writeExport(_ data: Data, json: Bool) {
        if json {
            writeJSON(String(decoding: data, as: UTF8.self))
        } else if isatty(STDOUT_FILENO) != 0 {
            // Split on the bytes: a Swift Character "\r\n" is not "\n".
            var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
            if lines.last?.isEmpty == true { lines.removeLast() }
            for line in lines { print(String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)) }
        } else {
            FileHandle.standardOutput.write(data)
        }
    }

    /// `--json` anywhere on the command line: errors are then also JSON on stdout.
    static let jsonRequested = CommandLine.arguments.dropFirst().contains("--json")

    /// Runs a command body: a known failure becomes one line on stderr (and, under --json, one
    /// JSON error on stdout) and its exit code (ExitStatus).
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as RemedyError {
            fail(error.message, code: error.code.rawValue, status: .of(error.code))
        } catch let error as PostgresError {
            if error.kind == .connection {
                fail("cannot connect to the database: \(error.message); check --database-url or DATABASE_URL", code: "connection")
            }
            fail("database: \(error.description)", code: "database")
        } catch let error as ExitCode {
            throw error
        } catch {
            fail("\(error)", code: "error")
        }
    }

    /// `{"error":{"code":…,"message":…}}` on stdout, for `--json`.
    static func printJSONError(code: String, message: String) {
        struct Body: Encodable { let error: Detail }
        struct Detail: Encodable { let code: String; let message: String }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Body(error: Detail(code: code, message: message)))) ?? Data()
        Swift.print(TerminalSafe.json(String(decoding: data, as: UTF8.self)))
        fflush(nil)
    }

    static func fail(_ message: String, code: String = "error", status: ExitStatus = .error) -> Never {
        if EphemeralClusterRegistry.isInterrupted {
            // Ctrl-C is stopping the throwaway cluster; the handler exits once it is removed.
            FileHandle.standardError.write(Data("remedy: interrupted; removing the throwaway PostgreSQL\n".utf8))
            while true { sleep(1) }
        }
        ProgressLine.shared.close()
        if jsonRequested { printJSONError(code: code, message: message) }
        FileHandle.standardError.write(Data("remedy: error: \(message.terminalSafe)\n".utf8))
        Foundation.exit(status.rawValue)
    }
}
