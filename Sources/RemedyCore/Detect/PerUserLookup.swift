import Postgres

/// Whether the shop's rows can be found one user at a time through an index: the users by their
/// id, the transactions by their user column. Apply locks a batch's users and recomputes their
/// ledgers under those locks (recheck.sql); without an index whose first column is the user
/// column, every batch reads the whole table while it holds the rows. Measured on a copy of the
/// 100,000-user shop with its `transactions (user_id)` index dropped (430 MB): 0.40 s a batch
/// instead of about 25 ms, apply 64 s instead of 4.3 s, and every live top-up of a batch's users
/// waits that long. PostgreSQL does not index a foreign key's column by itself, so a real shop
/// may well lack it; the simulator has it.
///
/// Found through that index, each of a batch's transactions is still read from the table, one
/// page each, while the batch holds its users' rows. An index that also holds the ledger's
/// columns (status, type, amount) serves the recheck alone (`readsLedgerFromIndexAlone`). At
/// 1,000,000 users (BENCHMARKS.md, twenty-sixth round) it cut the recheck's server time by two
/// thirds with the table in memory, and from 49 s to 5 s with it read from disk (apply 39 s →
/// 22 s). The shop pays for it in disk and on every insert, so remedy check advises it and never
/// makes it.
public struct PerUserLookup: Sendable, Equatable {
    /// Above this, reading the whole table under a batch's locks is refused (`remedy apply`
    /// without `--allow-unindexed-recheck`): from the page cache, about the batch p99 budget of
    /// 50 ms (430 MB took 0.40 s).
    public static let fullReadBytesLimit: Int64 = 32 << 20
    /// Below this, reading a batch's transactions from the table costs little in all: remedy
    /// check's advice of an index the recheck can read alone would be noise.
    public static let ledgerIndexAdviceBytes: Int64 = 1 << 30

    /// The mapped table and column (`public.transactions`, `user_id`), as the spec names them.
    public let table: SQLIdentifier
    public let column: SQLIdentifier
    /// `pg_class.relkind`: r (table), p (partitioned), m (materialized view), v (view), f (foreign).
    public let kind: String
    /// The table itself, or a partitioned table's leaf partitions; 0 for a view or foreign table.
    public let leaves: Int
    /// What reading every leaf's heap reads.
    public let tableBytes: Int64
    /// Leaves with a valid, non-partial btree or hash index whose first column is `column`.
    public let indexedLeaves: Int
    /// One such index, as `regclass` prints it.
    public let indexName: String?
    /// The columns the recheck reads besides `column` (the transactions' ledger columns, each
    /// once, in the spec's order; none for the users), the leaves with a btree index led by
    /// `column` that holds them all, and one such index.
    public let ledgerColumns: [SQLIdentifier]
    public let coveredLeaves: Int
    public let coveringIndexName: String?

    init(table: SQLIdentifier, column: SQLIdentifier, kind: String, leaves: Int, tableBytes: Int64, indexedLeaves: Int, indexName: String?,
         ledgerColumns: [SQLIdentifier] = [], coveredLeaves: Int = 0, coveringIndexName: String? = nil) {
        (self.table, self.column, self.kind, self.leaves, self.tableBytes) = (table, column, kind, leaves, tableBytes)
        (self.indexedLeaves, self.indexName) = (indexedLeaves, indexName)
        (self.ledgerColumns, self.coveredLeaves, self.coveringIndexName) = (ledgerColumns, coveredLeaves, coveringIndexName)
    }

    /// The users by id and the transactions by user, as apply finds a batch's rows.
    public static func read(_ spec: JobSpec, on connection: PostgresConnection) throws -> [PerUserLookup] {
        let users = spec.schema.users
        return [try read(users.table, by: users.id, on: connection), try transactions(spec, on: connection)]
    }

    /// The transactions by user, with whether an index also holds the ledger's columns.
    public static func transactions(_ spec: JobSpec, on connection: PostgresConnection) throws -> PerUserLookup {
        let transactions = spec.schema.transactions
        var ledger: [SQLIdentifier] = []
        for column in [transactions.status, transactions.type, transactions.amount]
        where column != transactions.user && !ledger.contains(column) {
            ledger.append(column)
        }
        return try read(transactions.table, by: transactions.user, ledgerColumns: ledger, on: connection)
    }

    /// Refuses, in one line, where a batch would read a table over the limit whole under its locks.
    public static func requireIndexed(_ spec: JobSpec, on connection: PostgresConnection) throws {
        if let unindexed = try read(spec, on: connection).first(where: \.fullReadTooLarge) {
            throw RemedyError(.notApplicable, unindexed.refusal)
        }
    }

    /// One table's rows by one column (and whether an index also holds `ledgerColumns`).
    static func read(_ table: SQLIdentifier, by column: SQLIdentifier, ledgerColumns: [SQLIdentifier] = [],
                     on connection: PostgresConnection) throws -> PerUserLookup {
        let parameters: [any PostgresEncodable] = [table.sql, column.unqualifiedName, PostgresArray(ledgerColumns.map(\.unqualifiedName))]
        guard let row = try connection.query(CatalogSQL.perUserIndex, parameters).first else {
            throw RemedyError(.badSpec, "table \(table) does not exist (or this role cannot see it); fix schema in the job spec or connect as the shop's owner")
        }
        return PerUserLookup(table: table, column: column, kind: try row.decode(0, as: String.self), leaves: try row.decode(1, as: Int.self),
                             tableBytes: try row.decode(2, as: Int64.self), indexedLeaves: try row.decode(3, as: Int.self),
                             indexName: try row.decode(4, as: String?.self), ledgerColumns: ledgerColumns,
                             coveredLeaves: try row.decode(5, as: Int.self), coveringIndexName: try row.decode(6, as: String?.self))
    }

    /// A view or a foreign table: whether the rows behind it are indexed is not seen from here.
    public var isOpaque: Bool { leaves == 0 && kind != "p" }
    public var isIndexed: Bool { !isOpaque && indexedLeaves == leaves }
    /// Not indexed, and too large to read whole under a batch's locks.
    public var fullReadTooLarge: Bool { !isOpaque && !isIndexed && tableBytes > Self.fullReadBytesLimit }
    /// Every leaf has a btree index that holds the ledger's columns: the recheck reads it alone.
    public var readsLedgerFromIndexAlone: Bool { !ledgerColumns.isEmpty && !isOpaque && coveredLeaves == leaves }

    /// `transactions.user_id`
    public var spelled: String { "\(table.unqualifiedName).\(column.unqualifiedName)" }
    /// The statement that gives the table its index without blocking the shop's writes.
    public var createIndexStatement: String { "CREATE INDEX CONCURRENTLY ON \(indexTarget) (\(column.sql))" }
    /// The same for an index the recheck can read alone.
    public var createLedgerIndexStatement: String {
        "CREATE INDEX CONCURRENTLY ON \(indexTarget) (\(column.sql)) INCLUDE (\(ledgerColumns.map(\.sql).joined(separator: ", ")))"
    }
    /// What those statements are run on: PostgreSQL refuses CONCURRENTLY on a partitioned table
    /// itself, so there each partition takes it.
    private var indexTarget: String { kind == "p" ? "each partition of \(table.sql)" : table.sql }
    /// Whole megabytes, rounded.
    public var megabytes: Int64 { (tableBytes + (1 << 19)) >> 20 }
    /// Where the index is missing: the table, or how many of its partitions.
    public var missing: String {
        kind == "p" ? "\(leaves - indexedLeaves) of \(table)'s \(leaves) partitions have" : "\(table) has"
    }

    /// apply's refusal, one line.
    public var refusal: String {
        "\(missing) no index whose first column is \(column.unqualifiedName) (\(megabytes) MB): each batch of apply would read all of it while it holds those users' rows locked, and their live top-ups wait; create it first (\(createIndexStatement)) or pass --allow-unindexed-recheck to accept that"
    }
}
