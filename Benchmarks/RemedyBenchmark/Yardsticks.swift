import Postgres
import RemedyCore
import Rupiah

/// The plan's balance moves as the bare UPDATE binds them: user ids, and amounts to subtract.
struct BalanceMoves {
    let parameters: [any PostgresEncodable]
    let count: Int

    init(_ plan: Plan) throws {
        let lines = plan.adjustments
        parameters = [PostgresArray(lines.map(\.userId)), PostgresArray(try lines.map { try $0.delta.negated() })]
        count = lines.count
    }
}

/// The plain SQL remedy is measured against, on the same connection and database as remedy.
struct Yardsticks {
    let connection: PostgresConnection
    let runs: Int

    /// Seed 000's reconciliation query as written, with the server's settings; streamed.
    func seedQuery() throws -> Timing {
        try timed("seed 000 reconciliation", runs: runs) { try streamedRows(BenchmarkSQL.seedReconciliation) }
    }

    /// The ledger floor with work_mem 256MB; streamed.
    func ledgerFloor() throws -> Timing {
        try timed("ledger floor (GROUP BY user_id, work_mem 256MB)", runs: runs) {
            try inTransaction(commit: false) {
                _ = try connection.execute(BenchmarkSQL.ledgerFloorWorkMem)
                return try streamedRows(BenchmarkSQL.ledgerFloor)
            }
        }
    }

    /// The ledger floor's sums made in the client instead: every completed row streamed in
    /// libpq's single-row mode (a result per row, as remedy streams detect), decoded and summed by
    /// user with checked arithmetic, the sums held by user id as text. Rows: users summed;
    /// `heldMegabytes`: the process's resident memory after the pass less before it, the sums
    /// still held, largest of the runs; `fingerprint`: the sums user by user (LedgerTable). Only the first such pass in a process shows what the sums
    /// hold: the allocator keeps the pages a pass freed, and the next pass fills them again
    /// without growing.
    func clientLedger() throws -> (timing: Timing, heldMegabytes: Double, fingerprint: UInt64) {
        var largest = 0.0
        var fingerprint: UInt64 = 0
        let timing = try timed("the ledger summed in the client (every completed row streamed, single-row mode)", runs: runs) {
            let before = Machine.residentMegabytes
            var ledgers: [String: Money] = [:]
            try connection.stream(BenchmarkSQL.ledgerRows) { row in
                let user = try row.decode(0, as: String.self)
                ledgers[user] = try (ledgers[user] ?? .zero).adding(try row.decode(1, as: Money.self))
            }
            largest = max(largest, Machine.residentMegabytes - before)
            fingerprint = try ledgers.reduce(UInt64(0)) { sum, ledger in
                let hex = ledger.key.filter { $0 != "-" }
                guard hex.count == 32, let high = UInt64(hex.prefix(16), radix: 16), let low = UInt64(hex.suffix(16), radix: 16) else {
                    throw BenchmarkError("a user id that is not a uuid: \(ledger.key)")
                }
                return sum &+ LedgerTable.fingerprint(high: high, low: low, sen: ledger.value.minorUnits)
            }
            return ledgers.count
        }
        return (timing, largest, fingerprint)
    }

    /// The one pass a detect reading the transactions once would make: the columns detect and
    /// check read, sent by binary COPY (one server process) and folded in the client as they come
    /// (OnePassFold: ledgers by user, the window's top-ups and purchases kept, check's groups).
    /// Rows: transactions folded. `fold`: the last run's, for its counts and the bytes it held.
    func onePass(since: String, until: String) throws -> (timing: Timing, fold: OnePassFold) {
        let bounds = try [since, until].map { try connection.query(BenchmarkSQL.binaryTimestamp, [$0])[0].decode(0, as: Int.self) }
        var last = OnePassFold(since: Int64(bounds[0]), until: Int64(bounds[1]))
        let timing = try timed("one pass: every transaction by binary COPY, folded in the client", runs: runs) {
            var fold = OnePassFold(since: Int64(bounds[0]), until: Int64(bounds[1]))
            var reader = PostgresBinaryCopy(columns: OnePassFold.columns)
            try connection.copyOut(BenchmarkSQL.onePassRows) { message in
                try reader.read(message) { try fold.fold($0) }
            }
            guard reader.hasEnded else { throw BenchmarkError("the one-pass COPY ended without its trailer") }
            last = fold
            return fold.rows
        }
        return (timing, last)
    }

    func countScan() throws -> Timing {
        try timed("count(*) over transactions", runs: runs) { try streamedRows(BenchmarkSQL.countTransactions) }
    }

    /// The plan's balance moves in one UPDATE, rolled back or (`commit`, once) committed.
    func bareUpdate(_ moves: BalanceMoves, commit: Bool = false) throws -> Timing {
        try timed("bare UPDATE of \(moves.count) balances (\(commit ? "committed" : "rolled back"))", runs: commit ? 1 : runs) {
            try inTransaction(commit: commit) { try connection.execute(BenchmarkSQL.bareUpdate, moves.parameters) }
        }
    }

    /// The book floor (BenchmarkSQL.bookFloor) after apply: the balances and every row apply wrote
    /// for `digest`, set-based, in one transaction. Rows: every row written.
    func bookFloor(digest: String, _ moves: BalanceMoves, commit: Bool = false) throws -> Timing {
        try timed("book floor (balances, entries, receivables, audit rows; \(commit ? "committed" : "rolled back"))", runs: commit ? 1 : runs) {
            try inTransaction(commit: commit) {
                var rows = try connection.execute(BenchmarkSQL.bareUpdate, moves.parameters)
                for statement in BenchmarkSQL.bookFloor { rows += try connection.execute(statement, [digest]) }
                return rows
            }
        }
    }

    private func inTransaction(commit: Bool, _ body: () throws -> Int) throws -> Int {
        _ = try connection.execute("BEGIN")
        do {
            let rows = try body()
            _ = try connection.execute(commit ? "COMMIT" : "ROLLBACK")
            return rows
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Streams the query's rows (as a client reading them would) and counts them.
    private func streamedRows(_ sql: String) throws -> Int {
        var rows = 0
        try connection.stream(sql) { _ in rows += 1 }
        return rows
    }
}
