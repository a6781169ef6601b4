import Postgres

/// Whether apply's recheck can read a batch's ledgers from an index alone. Found through the
/// `transactions (user_id)` index (PerUserLookup), each of a batch's transactions is still read
/// from the table, one page each, while the batch holds its users' rows. An index that also holds
/// the ledger's columns (status, type, amount) serves the recheck alone. At 1,000,000 users
/// (BENCHMARKS.md, twenty-sixth round) it cut the recheck's server time by two thirds with the
/// table in memory, and from 49 s to 5 s with it read from disk (apply 39 s → 22 s). The shop
/// pays for it in disk and on every insert, so remedy check advises it and never makes it.
public struct LedgerIndexCoverage: Sendable, Equatable {
    /// Below this the heap reads cost little in all; the advice would be noise.
    public static let adviceBytes: Int64 = 1 << 30

    public let table: SQLIdentifier
    public let userColumn: SQLIdentifier
    /// The columns the ledger reads besides the user column, each once, in the spec's order.
    public let ledgerColumns: [SQLIdentifier]
    /// The table's leaves (itself, or a partitioned table's partitions) and how many of them have
    /// a covering index.
    public let leaves: Int
    public let coveredLeaves: Int
    /// One covering index, as `regclass` prints it.
    public let indexName: String?

    /// The transactions table's coverage, as the spec maps the ledger's columns.
    public static func read(_ spec: JobSpec, on connection: PostgresConnection) throws -> LedgerIndexCoverage {
        let transactions = spec.schema.transactions
        var columns: [SQLIdentifier] = []
        for column in [transactions.status, transactions.type, transactions.amount]
        where column != transactions.user && !columns.contains(column) {
            columns.append(column)
        }
        return try read(transactions.table, user: transactions.user, ledgerColumns: columns, on: connection)
    }

    /// One table's coverage of the given columns, found by `user`.
    static func read(_ table: SQLIdentifier, user: SQLIdentifier, ledgerColumns: [SQLIdentifier],
                     on connection: PostgresConnection) throws -> LedgerIndexCoverage {
        let row = try connection.query(CatalogSQL.ledgerCoveringIndex,
                                       [table.sql, user.unqualifiedName, PostgresArray(ledgerColumns.map(\.unqualifiedName))])[0]
        return LedgerIndexCoverage(table: table, userColumn: user, ledgerColumns: ledgerColumns,
                                   leaves: try row.decode(0, as: Int.self), coveredLeaves: try row.decode(1, as: Int.self),
                                   indexName: try row.decode(2, as: String?.self))
    }

    public var isCovered: Bool { leaves > 0 && coveredLeaves == leaves }

    /// The statement that makes the index without blocking the shop's writes. (PostgreSQL refuses
    /// CONCURRENTLY on a partitioned table itself: there it is run on each partition.)
    public var createIndexStatement: String {
        "CREATE INDEX CONCURRENTLY ON \(table.sql) (\(userColumn.sql)) INCLUDE (\(ledgerColumns.map(\.sql).joined(separator: ", ")))"
    }
}
