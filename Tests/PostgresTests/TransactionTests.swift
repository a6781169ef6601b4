import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct TransactionTests {
    @Test func commitsWhenTheBodyReturns() throws {
        try withTestDatabase { connection, database throws in
            try connection.execute("CREATE TABLE entries (id int PRIMARY KEY)")
            let inserted = try connection.transaction {
                #expect(connection.isInTransaction)
                return try connection.execute("INSERT INTO entries VALUES (1), (2)")
            }
            #expect(inserted == 2)
            #expect(!connection.isInTransaction)
            let other = try database.connect()
            defer { other.close() }
            #expect(try other.scalar("SELECT count(*) FROM entries", as: Int.self) == 2)
        }
    }

    @Test func rollsBackAndRethrowsWhenTheBodyThrows() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute("CREATE TABLE entries (id int PRIMARY KEY)")
            #expect(throws: TestFailure.self) {
                try connection.transaction {
                    try connection.execute("INSERT INTO entries VALUES (1)")
                    throw TestFailure("balance moved by the wrong amount")
                }
            }
            #expect(!connection.isInTransaction)
            #expect(try connection.scalar("SELECT count(*) FROM entries", as: Int.self) == 0)
        }
    }

    @Test func aSwallowedStatementErrorIsNotReportedAsACommit() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute("CREATE TABLE entries (id int PRIMARY KEY)")
            let error = #expect(throws: PostgresError.self) {
                try connection.transaction {
                    try connection.execute("INSERT INTO entries VALUES (1)")
                    _ = try? connection.execute("INSERT INTO entries VALUES (1)")
                }
            }
            #expect(error?.sqlState == "25P02")
            #expect(!connection.isInTransaction)
            #expect(try connection.scalar("SELECT count(*) FROM entries", as: Int.self) == 0)
        }
    }

    @Test func readOnlyRefusesWrites() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute("CREATE TABLE entries (id int)")
            let error = #expect(throws: PostgresError.self) {
                try connection.transaction(TransactionOptions(readOnly: true)) {
                    try connection.execute("INSERT INTO entries VALUES (1)")
                }
            }
            #expect(error?.sqlState == "25006")
            #expect(!connection.isInTransaction)
        }
    }

    @Test func repeatableReadSeesOneSnapshot() throws {
        try withTestDatabase { connection, database throws in
            try connection.execute("CREATE TABLE entries (id int)")
            try connection.execute("INSERT INTO entries VALUES (1)")
            let writer = try database.connect()
            defer { writer.close() }
            let options = TransactionOptions(isolation: .repeatableRead, readOnly: true)
            let (before, after, isolation) = try connection.transaction(options) {
                let before = try connection.scalar("SELECT count(*) FROM entries", as: Int.self)
                try writer.execute("INSERT INTO entries VALUES (2)")
                let after = try connection.scalar("SELECT count(*) FROM entries", as: Int.self)
                let isolation = try connection.scalar("SHOW transaction_isolation", as: String.self)
                return (before, after, isolation)
            }
            #expect(before == 1 && after == 1)
            #expect(isolation == "repeatable read")
            #expect(try connection.scalar("SELECT count(*) FROM entries", as: Int.self) == 2)
        }
    }

    @Test func serializableAndNestingRefused() throws {
        try withTestDatabase { connection, _ throws in
            let isolation = try connection.transaction(TransactionOptions(isolation: .serializable)) {
                let error = #expect(throws: PostgresError.self) { try connection.transaction { } }
                #expect(error?.kind == .protocolViolation)
                return try connection.scalar("SHOW transaction_isolation", as: String.self)
            }
            #expect(isolation == "serializable")
        }
    }
}

/// Behind a transaction-mode pooler a transaction may run on a server connection another client
/// left with its own `SET DateStyle`/`SET TimeZone`; what a transaction reads must not depend on them.
@Suite struct TransactionSettingsTests {
    @Test func aTransactionDecodesTimestampsWhateverTheSessionWasLeftWith() throws {
        try withTestDatabase { connection, _ throws in
            // What another client of the pooler may have left on the server connection.
            try connection.executeScript("SET DateStyle = 'German, DMY'; SET TimeZone = 'America/Caracas'")
            let (read, day) = try connection.transaction {
                (try connection.scalar("SELECT timestamptz '2025-11-19 05:24:18.123456+00'", as: Date.self),
                 try connection.scalar("SELECT (timestamptz '2025-11-19 02:00:00+00')::date::text", as: String.self))
            }
            #expect(read == Date(timeIntervalSince1970: 1_763_529_858.123456))
            #expect(day == "2025-11-19", "day boundaries in UTC, dates in ISO form")
            // Only for the transaction: the session keeps what it had.
            #expect(try connection.scalar("SHOW DateStyle", as: String.self) == "German, DMY")
        }
    }
}
