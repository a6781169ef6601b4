import ArgumentParser
import EphemeralPostgres
import Foundation
import Logging
import Postgres
import RemedyCore

/// Printing: results on stdout, progress and errors on stderr, errors as one line.
enum Terminal {
    static let logger: Logger = {
        var logger = Logger(label: "remedy") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = ProcessInfo.processInfo.environment["REMEDY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        return logger
    }()

    static func progress(_ line: String) {
        FileHandle.standardError.write(Data("remedy: \(line)\n".utf8))
    }

    static func print(_ line: String = "") {
        Swift.print(line)
        fflush(nil)  // all streams: keeps stdout in step with progress on stderr when both go to one place
    }

    static func printJSON<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Runs a command body: a known failure becomes one line on stderr and exit code 1.
    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as RemedyError {
            fail(error.message)
        } catch let error as PostgresError {
            fail(error.kind == .connection ? "cannot connect to the database: \(error.message); check --database-url or DATABASE_URL" : "database: \(error.description)")
        } catch let error as ExitCode {
            throw error
        } catch {
            fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        if EphemeralClusterRegistry.isInterrupted {
            // Ctrl-C is stopping the throwaway cluster; the handler exits once it is removed.
            FileHandle.standardError.write(Data("remedy: interrupted; removing the throwaway PostgreSQL\n".utf8))
            while true { sleep(1) }
        }
        FileHandle.standardError.write(Data("remedy: error: \(message.replacingOccurrences(of: "\n", with: " "))\n".utf8))
        Foundation.exit(1)
    }
}
