import Foundation
import Postgres
import Rupiah
import Testing
import TestSupport

/// `copyOut` and `PostgresBinaryCopy`: every row a binary COPY sends, read field by field, equals
/// what the same query returns as text; and a COPY stopped half way leaves the connection usable.
@Suite struct CopyOutTests {
    static let table = """
        CREATE TABLE movements (id bigint PRIMARY KEY, owner uuid, done boolean, at timestamptz, label text, amount numeric(20,2))
        """
    /// Awkward values: NULLs, negative and large amounts, zero, amounts with trailing zeros
    /// stored at scale 2, times before 2000 (negative microseconds), unicode labels.
    static let rows = """
        INSERT INTO movements
        SELECT i,
               CASE WHEN i % 7 = 0 THEN NULL ELSE md5(i::text)::uuid END,
               CASE WHEN i % 5 = 0 THEN NULL ELSE i % 2 = 0 END,
               CASE WHEN i % 11 = 0 THEN NULL ELSE timestamptz '1999-12-31 23:59:59.999999+00' + i * interval '1 hour 1.000001 second' END,
               CASE WHEN i % 13 = 0 THEN NULL ELSE 'Bu Ani 🎉 ' || i END,
               CASE WHEN i % 17 = 0 THEN NULL
                    WHEN i % 3 = 0 THEN -(i * 9180.5)
                    WHEN i % 3 = 1 THEN i * 123456789012.34
                    ELSE (i % 100) / 100.0 END
          FROM generate_series(1, 5000) AS i
        """

    @Test func binaryRowsEqualTheTextOfTheSameQuery() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute(Self.table)
            try connection.execute(Self.rows)
            let expected = try connection.query("""
                SELECT id, owner::text, done, (extract(epoch FROM at - timestamptz '2000-01-01 00:00:00+00') * 1000000)::bigint, label, amount::text
                  FROM movements ORDER BY id
                """)
            var reader = PostgresBinaryCopy(columns: 6)
            var seen = 0
            let copied = try connection.copyOut("COPY (SELECT id, owner, done, at, label, amount FROM movements ORDER BY id) TO STDOUT (FORMAT binary)") { message in
                try reader.read(message) { row in
                    let want = expected[seen]
                    #expect(try row.int64(0) == Int64(try want.decode(0, as: Int.self)))
                    let owner = try row.uuid(1).map { String(format: "%016llx%016llx", $0.high, $0.low) }
                    #expect(owner == want.text(1)?.replacingOccurrences(of: "-", with: ""))
                    #expect(try row.bool(2) == (want.text(2).map { $0 == "t" }))
                    #expect(try row.int64(3) == want.text(3).flatMap { Int64($0) })
                    #expect(row.bytes(4).map { String(decoding: $0, as: UTF8.self) } == want.text(4))
                    #expect(try row.bytes(5).map { try Money(postgresBinaryNumeric: $0) } == (try want.text(5).map { try Money(exactText: $0) }))
                    seen += 1
                }
            }
            #expect(copied == 5000 && seen == 5000 && reader.hasEnded)
        }
    }

    /// The numeric encodings a shop's columns never hold but a query can: every scale, zero, the
    /// Int64 edge, and what must be refused (sub-sen digits, NaN, beyond Int64 sen).
    @Test func numericsReadExactlyOrAreRefused() throws {
        try withTestDatabase { connection, _ throws in
            let accepted = ["0", "0.00", "-0.01", "0.10", "1", "10000", "9999.99", "100000000.00", "12345678.9", "-92233720368547758.07",
                            "92233720368547758.07", "1.230000", "-5e3", "0.0000"]
            let refused = ["0.001", "12.345", "NaN", "Infinity", "92233720368547758.08", "1e30"]
            for (value, ok) in accepted.map({ ($0, true) }) + refused.map({ ($0, false) }) {
                var reader = PostgresBinaryCopy(columns: 1)
                var decoded: Result<Money, Error>?
                try connection.copyOut("COPY (SELECT '\(value)'::numeric) TO STDOUT (FORMAT binary)") { message in
                    try reader.read(message) { row in decoded = Result { try Money(postgresBinaryNumeric: row.bytes(0)!) } }
                }
                switch (decoded, ok) {
                case (.success(let money)?, true):
                    let text = try connection.query("SELECT '\(value)'::numeric::text")[0].text(0)!
                    #expect(money == (try Money(exactText: text)), "\(value)")
                case (.failure?, false): break
                default: Issue.record("\(value): \(String(describing: decoded)), expected \(ok ? "accepted" : "refused")")
                }
            }
        }
    }

    @Test func textFormatRowsComeAsTheyAreSent() throws {
        try withTestDatabase { connection, _ throws in
            var lines: [String] = []
            let copied = try connection.copyOut("COPY (SELECT i, 'row ' || i FROM generate_series(1, 3) AS i) TO STDOUT") { message in
                lines.append(String(decoding: message, as: UTF8.self))
            }
            #expect(copied == 3 && lines == ["1\trow 1\n", "2\trow 2\n", "3\trow 3\n"])
        }
    }

    @Test func aThrowingBodyStopsTheCopyAndTheConnectionGoesOn() throws {
        try withTestDatabase { connection, _ throws in
            var messages = 0
            #expect(throws: TestFailure.self) {
                try connection.copyOut("COPY (SELECT i, repeat('x', 100) FROM generate_series(1, 2000000) AS i) TO STDOUT") { _ in
                    messages += 1
                    if messages == 10 { throw TestFailure("enough") }
                }
            }
            #expect(messages == 10)
            #expect(try connection.scalar("SELECT 41 + 1", as: Int.self) == 42)
            #expect(!connection.isInTransaction)
        }
    }

    @Test func aServerErrorMidCopyIsThrownAndTheConnectionGoesOn() throws {
        try withTestDatabase { connection, _ throws in
            let error = #expect(throws: PostgresError.self) {
                try connection.copyOut("COPY (SELECT 1 / (3 - i) FROM generate_series(1, 5) AS i) TO STDOUT") { _ in }
            }
            #expect(error?.sqlState == "22012")
            #expect(try connection.scalar("SELECT 1", as: Int.self) == 1)
        }
    }

    @Test func copyOutNeedsACopyToStatement() throws {
        try withTestDatabase { connection, _ throws in
            let error = #expect(throws: PostgresError.self) { try connection.copyOut("SELECT 1") { _ in } }
            #expect(error?.kind == .protocolViolation)
            #expect(try connection.scalar("SELECT 1", as: Int.self) == 1)
        }
    }

    /// A message that is not binary COPY's is refused, not read past its end.
    @Test func malformedBinaryMessagesAreRefused() throws {
        let header = PostgresBinaryCopyTestBytes.header
        let cases: [[UInt8]] = [
            [0x50, 0x47],                                  // not a header
            header,                                        // header, no field count
            header + [0x00, 0x02, 0x00, 0x00, 0x00, 0x08], // two fields where one is expected
            header + [0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x01], // a field cut short
            header + [0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02], // bytes after the last field
        ]
        for bytes in cases {
            var reader = PostgresBinaryCopy(columns: 1)
            #expect(throws: PostgresError.self, "\(bytes)") {
                try bytes.withUnsafeBytes { message in try reader.read(message) { _ in } }
            }
        }
    }
}

enum PostgresBinaryCopyTestBytes {
    /// "PGCOPY\n\xff\r\n\0", no flags, no extension.
    static let header: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00] + [0, 0, 0, 0] + [0, 0, 0, 0]
}
