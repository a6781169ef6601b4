import Foundation
import Postgres
import ShopSimulator
import TestSupport
import Testing

/// `SIMULATOR_BENCH_USERS=1000000 swift test -c release -Xswiftc -enable-testing --filter SimulatorBenchmark`
/// loads that many users and prints the progress and the load time; skipped unless the variable
/// is set. `SIMULATOR_BENCH_VARIANT=refiring` picks the trigger body; `SIMULATOR_BENCH_URL` loads
/// into that (empty) database instead of a throwaway one and leaves it there for inspection.
///
/// Measured on the 2-core development machine (release build, PostgreSQL 15 with default memory
/// settings, fsync off), while other builds kept the load average at 5–7:
/// - 2.000 users / 19.348 transactions: 1,7–3,0 s;
/// - 1.000.000 users / 9.568.991 transactions / 14,2 M events: 1.021 s wall; CPU 459 s in the
///   PostgreSQL backend (the replay is bound by it: the balance trigger fires per row) and 67 s in
///   the generator (overlapped with COPY). Staging 211 s, replay 720 s (insert 305 s, callbacks
///   321 s), truth 14 s, constraints and indexes 43 s, statistics 7 s.
@Suite struct SimulatorBenchmark {
    static let users = ProcessInfo.processInfo.environment["SIMULATOR_BENCH_USERS"].flatMap(Int.init)

    @Test(.enabled(if: users != nil, "set SIMULATOR_BENCH_USERS to run"))
    func loadTime() throws {
        let users = try #require(Self.users)
        let environment = ProcessInfo.processInfo.environment
        let variant = environment["SIMULATOR_BENCH_VARIANT"].flatMap(TriggerVariant.init) ?? .guarded
        func onDatabase(_ body: (PostgresConnection) throws -> Void) throws {
            if let url = environment["SIMULATOR_BENCH_URL"] {
                let connection = try PostgresConnection.connect(url: url, logger: TestLogger.shared)
                defer { connection.close() }
                try body(connection)
            } else {
                try withTestDatabase { connection, _ in try body(connection) }
            }
        }
        try onDatabase { connection in
            let backendBefore = cpuSeconds(pid: connection.backendPID)
            let ownBefore = cpuSeconds(pid: getpid())
            let summary = try ShopSimulator.load(SimulationOptions(seed: 1, userCount: users, triggerVariant: variant),
                                                 into: connection) { line in print("[simulator] \(line)") }
            print("[simulator] \(summary.userCount) users, \(summary.transactionCount) transactions, "
                  + "bug excess \(summary.totalBugExcess.rupiah), other drift \(summary.totalOtherDrift.rupiah), "
                  + "\(summary.elapsedMilliseconds) ms")
            // Wall time depends on what else the machine runs; CPU time of the two processes does not.
            if let before = backendBefore, let after = cpuSeconds(pid: connection.backendPID),
               let ownStart = ownBefore, let ownEnd = cpuSeconds(pid: getpid()) {
                print("[simulator] CPU: PostgreSQL backend \(after - before) s, generator process \(ownEnd - ownStart) s; "
                      + "load average \((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?")")
            }
            let violations = try connection.query("""
                WITH l AS (\(ledgerPerUserSQL))
                SELECT count(*)::int FROM l JOIN simulator.truth tr ON tr.user_id = l.id
                WHERE l.balance - l.ledger <> tr.bug_excess + tr.other_drift OR l.balance <> tr.expected_balance
                """)
            #expect(try violations[0].decode(0, as: Int.self) == 0)
        }
    }
}

/// utime + stime of a local process from /proc (Linux), in seconds; nil elsewhere or for a remote server.
private func cpuSeconds(pid: Int32) -> Int? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let afterName = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: afterName)...].split(separator: " ")
    // Fields after the name start at field 3 (state); utime and stime are fields 14 and 15.
    guard fields.count > 13, let user = Int(fields[11]), let system = Int(fields[12]) else { return nil }
    return (user + system) / 100  // USER_HZ is 100 on Linux
}
