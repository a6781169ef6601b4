import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct ErrorTests {
    @Test func uniqueViolationCarriesSQLStateAndDetail() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute("CREATE TABLE wallets (user_id int PRIMARY KEY)")
            try connection.execute("INSERT INTO wallets VALUES ($1)", [7])
            let error = #expect(throws: PostgresError.self) { try connection.execute("INSERT INTO wallets VALUES ($1)", [7]) }
            #expect(error?.kind == .server)
            #expect(error?.sqlState == "23505")
            #expect(error?.severity == "ERROR")
            #expect(error?.detail == "Key (user_id)=(7) already exists.")
            #expect(error?.description == #"ERROR 23505: duplicate key value violates unique constraint "wallets_pkey" (detail: Key (user_id)=(7) already exists.)"#)
            // The connection is still usable.
            #expect(try connection.scalar("SELECT count(*) FROM wallets", as: Int.self) == 1)
        }
    }

    @Test func undefinedTableAndInvalidText() throws {
        try withTestDatabase { connection, _ throws in
            let missing = #expect(throws: PostgresError.self) { try connection.query("SELECT * FROM no_such_table") }
            #expect(missing?.sqlState == "42P01")
            #expect(missing?.message == #"relation "no_such_table" does not exist"#)

            let invalid = #expect(throws: PostgresError.self) { try connection.query("SELECT $1::int", ["12abc"]) }
            #expect(invalid?.sqlState == "22P02")
            #expect(invalid?.description.contains("invalid input syntax for type integer") == true)
        }
    }

    @Test func hintIsKept() throws {
        try withTestDatabase { connection, _ throws in
            let error = #expect(throws: PostgresError.self) { try connection.query("SELECT no_such_function($1::int)", [1]) }
            #expect(error?.sqlState == "42883")
            #expect(error?.hint?.contains("No function matches") == true)
            #expect(error?.description.contains("(hint: No function matches") == true)

            let raised = #expect(throws: PostgresError.self) {
                try connection.executeScript("DO $$ BEGIN RAISE EXCEPTION 'balance drifted' USING ERRCODE = '22P02', DETAIL = 'line one\nline two', HINT = 'run verify'; END $$")
            }
            #expect(raised?.sqlState == "22P02")
            #expect(raised?.detail == "line one\nline two")
            #expect(raised?.description == "ERROR 22P02: balance drifted (detail: line one line two) (hint: run verify)")
        }
    }

    @Test func multipleStatementsNeedExecuteScript() throws {
        try withTestDatabase { connection, _ throws in
            let error = #expect(throws: PostgresError.self) { try connection.execute("SELECT 1; SELECT 2") }
            #expect(error?.sqlState == "42601")
            try connection.executeScript("CREATE TABLE a (x int); CREATE TABLE b (y int); INSERT INTO a VALUES (1)")
            #expect(try connection.scalar("SELECT count(*) FROM a", as: Int.self) == 1)
        }
    }

    @Test func copyThroughQueryIsRefusedAndTheConnectionRecovers() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute("CREATE TABLE t (x int)")
            #expect(throws: PostgresError.self) { try connection.execute("COPY t FROM STDIN") }
            #expect(throws: PostgresError.self) { try connection.query("COPY (SELECT 1) TO STDOUT") }
            #expect(try connection.scalar("SELECT 2", as: Int.self) == 2)
        }
    }

    @Test func lostConnectionIsAConnectionError() throws {
        try withTestDatabase { victim, database throws in
            let killer = try database.connect()
            defer { killer.close() }
            #expect(try killer.scalar("SELECT pg_terminate_backend($1)", [victim.backendPID], as: Bool.self))
            let first = #expect(throws: PostgresError.self) { try victim.query("SELECT 1") }
            #expect(first?.kind == .connection)
            let second = #expect(throws: PostgresError.self) { try victim.query("SELECT 1") }
            #expect(second?.kind == .connection)
        }
    }

    @Test func closedConnectionThrows() throws {
        try withTestDatabase { connection, _ throws in
            connection.close()
            connection.close()
            let error = #expect(throws: PostgresError.self) { try connection.query("SELECT 1") }
            #expect(error?.kind == .connection)
            #expect(connection.backendPID == 0)
            #expect(!connection.isInTransaction)
        }
    }
}
