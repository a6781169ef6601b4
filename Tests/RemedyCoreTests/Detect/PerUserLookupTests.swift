import Foundation
import Postgres
import Testing
import TestSupport
@testable import RemedyCore

/// Apply finds a batch's users and their transactions by one column each; an index counts only
/// when PostgreSQL can use it for that lookup on every row: valid, not partial, btree or hash,
/// the column first. Each shape a real schema may have, read from a real catalog.
@Suite("Whether a batch's rows are found through an index")
struct PerUserLookupTests {
    @Test func onlyAnIndexLedByTheColumnOnEveryLeafCounts() throws {
        try withTestDatabase { connection, _ in
            try connection.executeScript("""
                CREATE SCHEMA shop;
                CREATE TABLE shop.plain (id bigint, user_id bigint);
                CREATE TABLE shop.first (id bigint, user_id bigint);
                CREATE INDEX ON shop.first (user_id, id);
                CREATE TABLE shop.second (id bigint, user_id bigint);
                CREATE INDEX ON shop.second (id, user_id);
                CREATE TABLE shop.partial (id bigint, user_id bigint, status text);
                CREATE INDEX ON shop.partial (user_id) WHERE status = 'completed';
                CREATE TABLE shop.hashed (id bigint, user_id bigint);
                CREATE INDEX ON shop.hashed USING hash (user_id);
                CREATE TABLE shop.ranged (id bigint, user_id bigint);
                CREATE INDEX ON shop.ranged USING brin (user_id);
                CREATE TABLE shop.expression (id bigint, user_id bigint);
                CREATE INDEX ON shop.expression ((user_id + 0));
                CREATE TABLE shop.invalid (id bigint, user_id bigint);
                CREATE INDEX invalid_user ON shop.invalid (user_id);
                UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'shop.invalid_user'::regclass;
                -- A dropped column moves user_id to the third attribute.
                CREATE TABLE shop.shifted (gone int, id bigint, user_id bigint);
                ALTER TABLE shop.shifted DROP COLUMN gone;
                CREATE INDEX shifted_user ON shop.shifted (user_id);
                -- Names kept as the spec spells them (quoted): not folded to lowercase.
                CREATE TABLE shop."MixedCase" (id bigint, "User" bigint, "user" bigint);
                CREATE INDEX ON shop."MixedCase" ("User");
                -- Partitions: one indexed of two; and an index on the parent, which every partition
                -- gets, including one attached with its columns at other positions.
                CREATE TABLE shop.halves (id bigint, user_id bigint) PARTITION BY RANGE (id);
                CREATE TABLE shop.halves_a PARTITION OF shop.halves FOR VALUES FROM (0) TO (100);
                CREATE TABLE shop.halves_b PARTITION OF shop.halves FOR VALUES FROM (100) TO (200);
                CREATE INDEX ON shop.halves_a (user_id);
                CREATE TABLE shop.whole (id bigint, user_id bigint) PARTITION BY RANGE (id);
                CREATE TABLE shop.whole_a PARTITION OF shop.whole FOR VALUES FROM (0) TO (100);
                CREATE TABLE shop.whole_b (gone int, id bigint, user_id bigint);
                ALTER TABLE shop.whole_b DROP COLUMN gone;
                ALTER TABLE shop.whole ATTACH PARTITION shop.whole_b FOR VALUES FROM (100) TO (200);
                CREATE INDEX ON shop.whole (user_id);
                CREATE VIEW shop.seen AS SELECT * FROM shop.first;
                INSERT INTO shop.plain SELECT g, g % 7 FROM generate_series(1, 5000) g;
                """)
            func read(_ table: String, _ column: String = "user_id") throws -> PerUserLookup {
                try PerUserLookup.read(try SQLIdentifier(validating: table, qualified: true, what: "table"),
                                       by: try SQLIdentifier(validating: column, what: "column"), on: connection)
            }
            for table in ["shop.first", "shop.hashed", "shop.shifted"] {
                let lookup = try read(table)
                #expect(lookup.isIndexed && !lookup.isOpaque && lookup.leaves == 1, "\(table): \(lookup)")
            }
            #expect(try read("shop.MixedCase", "User").isIndexed)
            #expect(try !read("shop.MixedCase", "user").isIndexed)
            #expect(try read("shop.shifted").indexName == "shop.shifted_user")
            for table in ["shop.plain", "shop.second", "shop.partial", "shop.ranged", "shop.expression", "shop.invalid"] {
                let lookup = try read(table)
                #expect(!lookup.isIndexed && !lookup.isOpaque && lookup.indexedLeaves == 0 && lookup.indexName == nil, "\(table): \(lookup)")
            }
            let halves = try read("shop.halves")
            #expect(halves.kind == "p" && halves.leaves == 2 && halves.indexedLeaves == 1 && !halves.isIndexed, "\(halves)")
            #expect(halves.missing == "1 of shop.halves's 2 partitions have")
            let whole = try read("shop.whole")
            #expect(whole.kind == "p" && whole.leaves == 2 && whole.indexedLeaves == 2 && whole.isIndexed, "\(whole)")
            #expect(whole.indexName == "shop.whole_user_id_idx", "the partitioned table's own index, not a partition's")
            #expect(halves.indexName == "shop.halves_a_user_id_idx")
            let seen = try read("shop.seen")
            #expect(seen.isOpaque && !seen.isIndexed && !seen.fullReadTooLarge, "\(seen)")

            // The bytes are the heap's, as PostgreSQL counts them.
            let plainBytes = try connection.query("SELECT pg_relation_size('shop.plain')")[0].decode(0, as: Int64.self)
            #expect(try read("shop.plain").tableBytes == plainBytes && plainBytes > 0)
            #expect(throws: RemedyError.self) { try read("shop.absent") }
        }
    }

    /// Only a table apply cannot find its rows in, and whose full read is over the limit, is
    /// refused; the refusal names the table, its size, the statement that fixes it and the flag.
    @Test func aFullReadIsRefusedOnlyAboveTheLimit() throws {
        let table = try SQLIdentifier(validating: "public.transactions", qualified: true, what: "table")
        let column = try SQLIdentifier(validating: "user_id", what: "column")
        func lookup(kind: String = "r", leaves: Int = 1, bytes: Int64, indexed: Int = 0) -> PerUserLookup {
            PerUserLookup(table: table, column: column, kind: kind, leaves: leaves, tableBytes: bytes, indexedLeaves: indexed, indexName: nil)
        }
        let limit = PerUserLookup.fullReadBytesLimit
        #expect(!lookup(bytes: limit).fullReadTooLarge)
        #expect(lookup(bytes: limit + 1).fullReadTooLarge)
        #expect(!lookup(bytes: limit * 100, indexed: 1).fullReadTooLarge)
        #expect(lookup(kind: "p", leaves: 3, bytes: limit * 100, indexed: 2).fullReadTooLarge)
        #expect(lookup(kind: "p", leaves: 3, bytes: limit * 100, indexed: 2).refusal.contains(#"(CREATE INDEX CONCURRENTLY ON each partition of "public"."transactions" ("user_id"))"#),
                "PostgreSQL refuses CONCURRENTLY on the partitioned table itself")
        #expect(!lookup(kind: "v", leaves: 0, bytes: 0).fullReadTooLarge)
        #expect(lookup(bytes: 430 << 20).refusal == "public.transactions has no index whose first column is user_id (430 MB): each batch of apply would read all of it while it holds those users' rows locked, and their live top-ups wait; create it first (CREATE INDEX CONCURRENTLY ON \"public\".\"transactions\" (\"user_id\")) or pass --allow-unindexed-recheck to accept that")
    }

    /// The recheck reads a ledger from an index alone only through a btree led by the user column
    /// that holds every ledger column, as a key or an INCLUDE column, on every leaf; a column of
    /// another name (a quoted capital) does not count.
    @Test func aLedgerIndexCountsOnlyWhenItHoldsEveryLedgerColumnOnEveryLeaf() throws {
        try withTestDatabase { connection, _ in
            try connection.executeScript("""
                CREATE SCHEMA shop;
                CREATE TABLE shop.bare (user_id bigint, status text, kind text, amount numeric);
                CREATE INDEX ON shop.bare (user_id);
                CREATE TABLE shop.included (user_id bigint, status text, kind text, amount numeric);
                CREATE INDEX included_ledger ON shop.included (user_id) INCLUDE (status, kind, amount);
                CREATE TABLE shop.keyed (user_id bigint, status text, kind text, amount numeric);
                CREATE INDEX ON shop.keyed (user_id, kind, status, amount);
                CREATE TABLE shop.short (user_id bigint, status text, kind text, amount numeric);
                CREATE INDEX ON shop.short (user_id) INCLUDE (status, kind);
                CREATE TABLE shop.second (user_id bigint, status text, kind text, amount numeric);
                CREATE INDEX ON shop.second (status, user_id) INCLUDE (kind, amount);
                CREATE TABLE shop.partial (user_id bigint, status text, kind text, amount numeric);
                CREATE INDEX ON shop.partial (user_id) INCLUDE (status, kind, amount) WHERE status = 'completed';
                CREATE TABLE shop.hashed (user_id bigint, status text, kind text, amount numeric);
                CREATE INDEX ON shop.hashed USING hash (user_id);
                CREATE TABLE shop.quoted (user_id bigint, "Status" text, status text, kind text, amount numeric);
                CREATE INDEX ON shop.quoted (user_id) INCLUDE ("Status", kind, amount);
                CREATE TABLE shop.halves (id bigint, user_id bigint, status text, kind text, amount numeric) PARTITION BY RANGE (id);
                CREATE TABLE shop.halves_a PARTITION OF shop.halves FOR VALUES FROM (0) TO (100);
                CREATE TABLE shop.halves_b PARTITION OF shop.halves FOR VALUES FROM (100) TO (200);
                CREATE INDEX ON shop.halves_a (user_id) INCLUDE (status, kind, amount);
                CREATE INDEX ON shop.halves_b (user_id);
                CREATE TABLE shop.whole (id bigint, user_id bigint, status text, kind text, amount numeric) PARTITION BY RANGE (id);
                CREATE TABLE shop.whole_a PARTITION OF shop.whole FOR VALUES FROM (0) TO (100);
                CREATE TABLE shop.whole_b PARTITION OF shop.whole FOR VALUES FROM (100) TO (200);
                CREATE INDEX ON shop.whole (user_id) INCLUDE (status, kind, amount);
                """)
            let ledger = try ["status", "kind", "amount"].map { try SQLIdentifier(validating: $0, what: "column") }
            func read(_ table: String) throws -> PerUserLookup {
                try PerUserLookup.read(try SQLIdentifier(validating: table, qualified: true, what: "table"),
                                       by: try SQLIdentifier(validating: "user_id", what: "column"), ledgerColumns: ledger, on: connection)
            }
            for table in ["shop.included", "shop.keyed", "shop.whole"] {
                let lookup = try read(table)
                #expect(lookup.readsLedgerFromIndexAlone && lookup.coveringIndexName != nil, "\(table): \(lookup)")
            }
            #expect(try read("shop.included").coveringIndexName == "shop.included_ledger")
            for table in ["shop.bare", "shop.short", "shop.second", "shop.partial", "shop.hashed", "shop.quoted"] {
                let lookup = try read(table)
                #expect(!lookup.readsLedgerFromIndexAlone && lookup.coveredLeaves == 0 && lookup.coveringIndexName == nil, "\(table): \(lookup)")
            }
            // Found through an index all the same, where it is led by the user column.
            #expect(try read("shop.hashed").isIndexed && read("shop.short").isIndexed && !read("shop.second").isIndexed)
            let halves = try read("shop.halves")
            #expect(halves.leaves == 2 && halves.coveredLeaves == 1 && halves.isIndexed && !halves.readsLedgerFromIndexAlone, "\(halves)")
            #expect(halves.createLedgerIndexStatement == #"CREATE INDEX CONCURRENTLY ON each partition of "shop"."halves" ("user_id") INCLUDE ("status", "kind", "amount")"#)
            #expect(try read("shop.bare").createLedgerIndexStatement == #"CREATE INDEX CONCURRENTLY ON "shop"."bare" ("user_id") INCLUDE ("status", "kind", "amount")"#)
            // The one PostgreSQL runs as written: on a plain table, and the recheck then reads it alone.
            try connection.executeScript(try read("shop.bare").createLedgerIndexStatement)
            #expect(try read("shop.bare").readsLedgerFromIndexAlone)
            // Without ledger columns (the users' lookup) nothing is read from an index alone.
            #expect(try !PerUserLookup.read(try SQLIdentifier(validating: "shop.included", qualified: true, what: "table"),
                                            by: try SQLIdentifier(validating: "user_id", what: "column"), on: connection).readsLedgerFromIndexAlone)
        }
    }
}
