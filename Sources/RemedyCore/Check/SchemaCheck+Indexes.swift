import Postgres

/// Whether apply can find a batch's users and their transactions through an index
/// (PerUserLookup): a finding for each of the two lookups. Without one on a large table, apply
/// refuses unless told to accept a full read under every batch's locks; a plan records the
/// warning for its approvers. Where the transactions are found through an index on a large table,
/// also whether the recheck can read their ledger from an index alone: advice.
extension SchemaCheck {
    func checkIndexes(on connection: PostgresConnection, into findings: inout [CheckFinding]) throws {
        let lookups = try PerUserLookup.read(spec, on: connection)
        for lookup in lookups {
            let facts = ["table": lookup.table.description, "column": lookup.column.description, "relkind": lookup.kind,
                         "table_bytes": String(lookup.tableBytes), "leaves": String(lookup.leaves),
                         "indexed_leaves": String(lookup.indexedLeaves), "index": lookup.indexName ?? "",
                         "full_read_bytes_limit": String(PerUserLookup.fullReadBytesLimit)]
            if lookup.isOpaque {
                findings.append(CheckFinding("indexes", .info,
                    "\(lookup.table) is a \(lookup.kind == "v" ? "view" : "foreign table"): whether the rows behind it are indexed by \(lookup.column.unqualifiedName) is not seen from here; apply reads them a batch of users at a time",
                    facts: facts))
            } else if lookup.isIndexed {
                findings.append(CheckFinding("indexes", .ok,
                    "\(lookup.spelled): index \(lookup.indexName ?? "")\(lookup.kind == "p" ? " (on each of \(lookup.leaves) partitions)" : ""); apply finds a batch's rows through it",
                    facts: facts))
            } else if lookup.fullReadTooLarge {
                findings.append(CheckFinding("indexes", .warning,
                    "\(lookup.missing) no index whose first column is \(lookup.column.unqualifiedName) (\(lookup.megabytes) MB): each batch of apply (and of verify) would read all of it, apply while holding those users' rows locked; apply refuses without --allow-unindexed-recheck. \(lookup.createIndexStatement) fixes it without blocking the shop's writes",
                    facts: facts))
            } else {
                findings.append(CheckFinding("indexes", .info,
                    "\(lookup.missing) no index whose first column is \(lookup.column.unqualifiedName), but at \(lookup.megabytes) MB reading it whole for each batch is cheap (apply refuses above \(PerUserLookup.fullReadBytesLimit >> 20) MB)",
                    facts: facts))
            }
        }
        // The transactions: the lookup that carries the ledger's columns.
        if let transactions = lookups.first(where: { !$0.ledgerColumns.isEmpty }), transactions.isIndexed,
           transactions.tableBytes > PerUserLookup.ledgerIndexAdviceBytes {
            checkLedgerIndex(transactions, into: &findings)
        }
    }

    private func checkLedgerIndex(_ lookup: PerUserLookup, into findings: inout [CheckFinding]) {
        let columns = lookup.ledgerColumns.map(\.unqualifiedName).joined(separator: ", ")
        let facts = ["table": lookup.table.description, "column": lookup.column.description, "ledger_columns": columns,
                     "leaves": String(lookup.leaves), "covered_leaves": String(lookup.coveredLeaves), "index": lookup.coveringIndexName ?? "",
                     "table_bytes": String(lookup.tableBytes)]
        if lookup.readsLedgerFromIndexAlone {
            findings.append(CheckFinding("indexes", .ok,
                "\(lookup.spelled): index \(lookup.coveringIndexName ?? "") also holds \(columns); apply's recheck reads a batch's ledgers from it alone",
                facts: facts))
        } else {
            findings.append(CheckFinding("indexes", .info,
                "\(lookup.spelled) (\(lookup.megabytes) MB): apply's recheck reads each of a batch's transactions from the table, a page each; an index that also holds \(columns) lets it read the index alone (at 1,000,000 users it cut the recheck's server time by two thirds with the table in memory, and from 49 s to 5 s with it read from disk, under the batches' row locks; BENCHMARKS.md). Optional: it costs disk and a little on every insert. \(lookup.createLedgerIndexStatement), then VACUUM the table",
                facts: facts))
        }
    }
}
