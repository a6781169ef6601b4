import Postgres
import RemedyCore

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
