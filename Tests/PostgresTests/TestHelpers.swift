import Foundation
import Logging
import Postgres
import TestSupport

/// Tests that measure memory or move a lot of data take turns, so one does not skew the other's figures.
enum HeavyTest {
    private static let lock = NSLock()

    static func exclusively<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

/// The process's resident set size, from /proc/self/status (VmRSS, in kB).
func residentSetBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    else { return 0 }
    return kilobytes * 1024
}

extension PostgresConnection {
    /// The single value of a one-row, one-column query.
    func scalar<T: PostgresDecodable>(_ sql: String, _ parameters: [any PostgresEncodable] = [], as type: T.Type = T.self) throws -> T {
        let rows = try query(sql, parameters)
        guard rows.count == 1 else { throw PostgresError(kind: .protocolViolation, message: "expected one row, got \(rows.count)") }
        return try rows[0].decode(0, as: T.self)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
