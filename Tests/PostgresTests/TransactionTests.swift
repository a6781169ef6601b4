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
