import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct CopyTests {
    /// Awkward text: the COPY escapes (tab, newline, CR, backslash), a literal `\N`, `\.`, unicode, quotes.
    static func row(_ id: Int) -> [String?] {
        let pieces = ["plain", "tab\there", "new\nline", "cr\r\nlf", "back\\slash", "\\N", "\\.", "🎉 Selamat pagi, Bu Ani", "\"double\" 'single'", "", " "]
        let label = "\(id): " + pieces[id % pieces.count] + pieces[(id / 7) % pieces.count]
        let note: String? = id % 5 == 0 ? nil : (id % 5 == 1 ? "" : pieces[(id / 3) % pieces.count])
        let amount = id % 3 == 0 ? "-\(id).50" : "\(id * 1000).00"
        return [String(id), label, note, amount]
    }

    @Test func hundredThousandRowsReadBackExactly() throws {
        try HeavyTest.exclusively {
            try withTestDatabase { connection, _ throws in
                try connection.execute("CREATE TABLE movements (id int PRIMARY KEY, label text NOT NULL, note text, amount numeric(20,2) NOT NULL)")
                let rowCount = 100_000
                let clock = ContinuousClock()
                let began = clock.now
                let copied = try connection.copyIn("COPY movements (id, label, note, amount) FROM STDIN") { writer in
                    for id in 1...rowCount {
                        try writer.writeRow(Self.row(id))
                    }
                }
                print("COPY of \(copied) rows took \(clock.now - began)")
                #expect(copied == rowCount)

                let rows = try connection.query("SELECT id::text, label, note, amount::text FROM movements ORDER BY movements.id")
                #expect(rows.count == rowCount)
                var mismatches = 0
                for (offset, row) in rows.enumerated() {
                    let expected = Self.row(offset + 1)
                    let actual = (0..<4).map { row.text($0) }
                    if actual != expected {
                        mismatches += 1
                        if mismatches <= 3 { Issue.record("row \(offset + 1): \(actual) != \(expected)") }
                    }
                }
                #expect(mismatches == 0)
                #expect(try connection.scalar("SELECT count(*) FROM movements WHERE note IS NULL", as: Int.self) == rowCount / 5)
                #expect(try connection.scalar("SELECT count(*) FROM movements WHERE note = $1", ["\\N"], as: Int.self) > 0)
            }
        }
    }

    @Test func throwingBodyAbortsTheCopy() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute("CREATE TABLE movements (id int, label text)")
            #expect(throws: TestFailure.self) {
                try connection.copyIn("COPY movements FROM STDIN") { writer in
                    for id in 1...50_000 {
                        try writer.writeRow([String(id), "row \(id) with some padding to pass the flush threshold"])
                    }
                    throw TestFailure("source file truncated")
                }
            }
            #expect(try connection.scalar("SELECT count(*) FROM movements", as: Int.self) == 0)
            #expect(!connection.isInTransaction)
        }
    }

    @Test func badDataIsAServerError() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute("CREATE TABLE movements (id int, label text)")
            let error = #expect(throws: PostgresError.self) {
                try connection.copyIn("COPY movements FROM STDIN") { writer in
                    try writer.writeRow(["1", "fine"])
                    try writer.writeRow(["two", "not an int"])
                }
            }
            #expect(error?.sqlState == "22P02")
            #expect(try connection.scalar("SELECT count(*) FROM movements", as: Int.self) == 0)
        }
    }

    @Test func copyInsideATransactionRollsBackWithIt() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute("CREATE TABLE movements (id int)")
            #expect(throws: TestFailure.self) {
                try connection.transaction {
                    try connection.copyIn("COPY movements FROM STDIN") { writer in try writer.writeRow(["1"]) }
                    throw TestFailure("later step failed")
                }
            }
            #expect(try connection.scalar("SELECT count(*) FROM movements", as: Int.self) == 0)
        }
    }

    @Test func copyInNeedsACopyStatement() throws {
        try withTestDatabase { connection, _ throws in
            let error = #expect(throws: PostgresError.self) { try connection.copyIn("SELECT 1") { _ in } }
            #expect(error?.kind == .protocolViolation)
            #expect(try connection.scalar("SELECT 1", as: Int.self) == 1)
        }
    }
}
