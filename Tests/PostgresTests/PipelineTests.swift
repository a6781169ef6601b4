import Foundation
import Postgres
import Testing
import TestSupport

/// Pipeline mode: several statements in one round trip, answered in order, as if sent one by one.
@Suite struct PipelineTests {
    @Test func answersEachStatementInOrderWithItsOwnBoundValues() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute("CREATE TABLE entries (id int PRIMARY KEY, amount numeric NOT NULL)")
            var meanwhileRuns = 0
            let rows = try connection.transaction {
                try connection.pipeline([
                    PostgresStatement("INSERT INTO entries SELECT * FROM unnest($1::int[], $2::numeric[])", [PostgresArray([1, 2]), PostgresArray(["10.50", "-3.25"])]),
                    PostgresStatement("SELECT id, amount::text FROM entries ORDER BY id"),
                    PostgresStatement("SELECT $1::text || '!'", ["Rp"]),
                ]) { meanwhileRuns += 1 }
            }
            #expect(meanwhileRuns == 1)
            #expect(rows.count == 3)
            #expect(rows[0].isEmpty)
            #expect(try rows[1].map { "\(try $0.decode(0, as: Int.self)) \(try $0.decode(1, as: String.self))" } == ["1 10.50", "2 -3.25"])
            #expect(try rows[2][0].decode(0, as: String.self) == "Rp!")
            #expect(try connection.scalar("SELECT count(*) FROM entries", as: Int.self) == 2, "committed")
            #expect(!connection.isInTransaction)
        }
    }

    /// A pipeline built up statement by statement: each answer is where its `add` said.
    @Test func answersAreFoundByTheSlotsTheirStatementsWereGiven() throws {
        try withTestDatabase { connection, _ throws in
            var pipeline = PostgresPipeline()
            let first = pipeline.add(PostgresStatement("SELECT 'first'"))
            let middle = pipeline.add([PostgresStatement("SELECT 'a' UNION ALL SELECT 'b'"), PostgresStatement("SELECT 'c' WHERE false")])
            let last = pipeline.add(PostgresStatement("SELECT $1::text", ["last"]))
            #expect(first == 0 && middle == 1..<3 && last == 3)
            let rows = try connection.pipeline(pipeline)
            #expect(try rows[first].map { try $0.decode(0, as: String.self) } == ["first"])
            #expect(try rows[middle].map { try $0.map { try $0.decode(0, as: String.self) } } == [["a", "b"], []])
            #expect(try rows[last].map { try $0.decode(0, as: String.self) } == ["last"])
        }
    }

    /// libpq leaves single-row mode set after a stream, and a pipeline sent next gets its first
    /// statement's rows one at a time: each statement still answers with all its rows, once.
    @Test func aPipelineStraightAfterAStreamGetsEveryRowOfEachStatement() throws {
        try withTestDatabase { connection, _ throws in
            var streamed = 0
            try connection.stream("SELECT g FROM generate_series(1, 3) g") { _ in streamed += 1 }
            let rows = try connection.pipeline([PostgresStatement("SELECT g FROM generate_series(1, 4) g"), PostgresStatement("SELECT 'second'")])
            #expect(streamed == 3)
            #expect(try rows[0].map { try $0.decode(0, as: Int.self) } == [1, 2, 3, 4])
            #expect(try rows[1].map { try $0.decode(0, as: String.self) } == ["second"])

            // A failure after some rows were sent one by one is the statement's error, and the
            // connection stays usable.
            try connection.stream("SELECT 1 WHERE false") { _ in }
            let error = #expect(throws: PostgresError.self) {
                try connection.pipeline([PostgresStatement("SELECT 10 / (3 - g) FROM generate_series(1, 5) g"), PostgresStatement("SELECT 1")])
            }
            #expect(error?.sqlState == "22012" && error?.kind != .connection)
            #expect(try connection.scalar("SELECT 'still open'", as: String.self) == "still open")
        }
    }

    @Test func theFirstFailureIsThrownAndWhatFollowsItDoesNotRun() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute("CREATE TABLE entries (id int PRIMARY KEY)")
            try connection.execute("CREATE TABLE after_failure (id int)")
            let error = #expect(throws: PostgresError.self) {
                try connection.transaction {
                    _ = try connection.pipeline([
                        PostgresStatement("INSERT INTO entries VALUES (1)"),
                        PostgresStatement("INSERT INTO entries VALUES (1)"),
                        PostgresStatement("INSERT INTO after_failure VALUES (1)"),
                    ])
                }
            }
            #expect(error?.sqlState == "23505", "the duplicate key, not a later statement's abort")
            #expect(try connection.scalar("SELECT count(*) FROM entries", as: Int.self) == 0, "rolled back")
            #expect(try connection.scalar("SELECT count(*) FROM after_failure", as: Int.self) == 0)
            // The connection is back in normal mode and usable.
            #expect(try connection.scalar("SELECT 41 + 1", as: Int.self) == 42)
        }
    }

    @Test func eachStatementSeesWhatTheOnesBeforeItCommittedMeanwhile() throws {
        // READ COMMITTED: a statement's snapshot is taken when it runs, after the statements before
        // it, so a lock taken first and a read after it see every change to the locked rows.
        try withTestDatabase { connection, database throws in
            try connection.execute("CREATE TABLE users (id int PRIMARY KEY, balance int NOT NULL)")
            try connection.execute("INSERT INTO users VALUES (1, 100)")
            let other = try database.connect()
            defer { other.close() }
            try other.executeScript("BEGIN; UPDATE users SET balance = 150 WHERE id = 1")
            // Commits 0.3 s from now, while the pipeline below waits for its lock.
            try other.sendWithoutWaitingForTheAnswer("SELECT pg_sleep(0.3); COMMIT")
            let rows = try connection.transaction {
                try connection.pipeline([
                    PostgresStatement("SELECT id FROM users WHERE id = 1 FOR UPDATE"),
                    PostgresStatement("SELECT balance FROM users WHERE id = 1"),
                ])
            }
            #expect(try rows[1][0].decode(0, as: Int.self) == 150)
        }
    }

    @Test func aLargeAnswerAheadOfALargeStatementDoesNotStallThePipeline() throws {
        // The server writes the first answer (4 MB) while the client still sends the second
        // statement (4 MB): neither side reads until it has written, unless libpq reads the answers
        // into memory while it waits to send (it does, in blocking mode). apply's batches are
        // bounded (apply.batch_size ≤ 10,000), and so is what this holds.
        try withTestDatabase { connection, _ throws in
            let large = String(repeating: "Rp 1.900.000 ", count: 330_000)
            let rows = try connection.pipeline([
                PostgresStatement("SELECT repeat('x', 1000) FROM generate_series(1, 4000)"),
                PostgresStatement("SELECT length($1::text)", [large]),
            ])
            #expect(rows[0].count == 4000)
            #expect(try rows[1][0].decode(0, as: Int.self) == large.utf8.count)
        }
    }

    @Test func aParameterTheProtocolCannotCarryIsRefusedBeforeAnythingIsSent() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute("CREATE TABLE entries (note text)")
            #expect(throws: PostgresError.self) {
                _ = try connection.pipeline([
                    PostgresStatement("INSERT INTO entries VALUES ('first')"),
                    PostgresStatement("INSERT INTO entries VALUES ($1)", ["a\u{0}b"]),
                ])
            }
            #expect(try connection.scalar("SELECT count(*) FROM entries", as: Int.self) == 0)
        }
    }
}
