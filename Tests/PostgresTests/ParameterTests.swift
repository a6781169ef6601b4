import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct ParameterTests {
    @Test func nullParametersAndColumns() throws {
        try withTestDatabase { connection, _ throws in
            let none: String? = nil
            let row = try #require(try connection.query("SELECT $1::text AS a, $2::int AS b, $3::text AS c", [none, Int?.none, "x"]).first)
            #expect(row.isNull(0) && row.isNull(1) && !row.isNull(2))
            #expect(row.text(0) == nil)
            #expect(try row.decode(0, as: String?.self) == nil)
            #expect(try row.decode("b", as: Int?.self) == nil)
            #expect(try row.decode("c", as: String?.self) == "x")
            // NULL into a non-optional is an error naming the column.
            let error = #expect(throws: PostgresError.self) { try row.decode(1, as: Int.self) }
            #expect(error?.kind == .decoding)
            #expect(error?.description.contains("\"b\"") == true)
        }
    }

    @Test func unicodeAndQuotesRoundTrip() throws {
        try withTestDatabase { connection, _ throws in
            let values = [
                "🎉 emoji 👨‍👩‍👧‍👦 and flags 🇮🇩",
                "Saldo dompet Anda telah dikoreksi — terima kasih, Ibu Siti Nurhaliza",
                "it's \"quoted\" and 'single' and `back`",
                "backslash \\ tab \t newline \n cr \r",
                "'; DROP TABLE users; --",
                "",
            ]
            for value in values {
                #expect(try connection.scalar("SELECT $1::text", [value], as: String.self) == value)
                #expect(try connection.scalar("SELECT length($1::text)", [value], as: Int.self) == value.unicodeScalars.count)
            }
        }
    }

    @Test func arraysOfAwkwardTextRoundTripElementByElement() throws {
        try withTestDatabase { connection, _ throws in
            let values: [String?] = ["🎉 👨‍👩‍👧‍👦 é", "it's \"quoted\"", "back\\slash \\\"", "{a,b}", "NULL", nil, "", " spaced ", "tab\tnewline\n"]
            #expect(PostgresArray(["a", "b\"c", "d\\e"]).postgresText == #"{"a","b\"c","d\\e"}"#)
            #expect(PostgresArray([String?.none]).postgresText == "{NULL}")
            #expect(PostgresArray([String]()).postgresText == "{}")
            let rows = try connection.query("SELECT x, ordinality FROM unnest($1::text[]) WITH ORDINALITY AS u(x, ordinality) ORDER BY ordinality", [PostgresArray(values)])
            #expect(rows.count == values.count)
            for (index, row) in rows.enumerated() {
                #expect(try row.decode(0, as: String?.self) == values[index])
            }
        }
    }

    /// Apply's evidence and audit columns go as binary text[] (nothing quoted): the server must
    /// read the very elements the text literal gives, through a plain query, a stream and a
    /// pipeline, and an element with a NUL is refused before anything is sent.
    @Test func binaryTextArraysReadAsTheTextLiteralDoes() throws {
        try withTestDatabase { connection, _ throws in
            let values: [String?] = ["🎉 👨‍👩‍👧‍👦 é", "it's \"quoted\"", "back\\slash \\\"", "{a,b}", "NULL", nil, "", " spaced ", "tab\tnewline\n",
                                     #"{"json":["a\"b",1]}"#, String(repeating: "x\"", count: 40_000)]
            for elements in [values, [], [nil], ["only"]] {
                let binary = try PostgresTextArray(elements)
                #expect(binary.postgresBinary != nil)
                #expect(binary.postgresText == PostgresArray(elements).postgresText)
                let same = "SELECT $1::text[] IS NOT DISTINCT FROM $2::text[], cardinality($1::text[])"
                let row = try #require(try connection.query(same, [binary, PostgresArray(elements)]).first)
                #expect(try row.decode(0, as: Bool.self), "\(elements.prefix(3))")
                #expect(try row.decode(1, as: Int.self) == elements.count)
                let piped = try connection.pipeline([PostgresStatement("SELECT $1::text[] IS NOT DISTINCT FROM $2::text[], $3::int", [binary, PostgresArray(elements), 7])])
                #expect(try piped[0][0].decode(0, as: Bool.self) && piped[0][0].decode(1, as: Int.self) == 7)
            }
            var streamed: [String?] = []
            try connection.stream("SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n", [try PostgresTextArray(values)]) { streamed.append(try $0.decode(0, as: String?.self)) }
            #expect(streamed == values)
            let error = #expect(throws: PostgresError.self) { try PostgresTextArray(["fine", "nul\u{0}inside"]) }
            #expect(error?.kind == .protocolViolation && error?.description.contains("element 2") == true)
        }
    }

    @Test func numericTextPassesThroughUntouched() throws {
        try withTestDatabase { connection, _ throws in
            for value in ["0.00", "-9180.00", "99999999999999999.99", "1900000", "0.000001"] {
                let row = try #require(try connection.query("SELECT $1::numeric", [value]).first)
                #expect(row.columnTypeOID(0) == 1700)
                #expect(row.text(0) == value)
                #expect(try row.decode(0, as: String.self) == value)
            }
            #expect(try connection.scalar("SELECT 1.10::numeric(12,2) + 2.205::numeric(12,3)", as: String.self) == "3.305")
        }
    }

    @Test func integerBounds() throws {
        try withTestDatabase { connection, _ throws in
            for value in [Int64.min, -1, 0, 1, Int64.max] {
                #expect(try connection.scalar("SELECT $1::bigint", [value], as: Int64.self) == value)
                #expect(try connection.scalar("SELECT $1::bigint", [Int(value)], as: Int.self) == Int(value))
            }
            for value in [Int32.min, 0, Int32.max] {
                #expect(try connection.scalar("SELECT $1::int", [value], as: Int32.self) == value)
            }
            let overflow = #expect(throws: PostgresError.self) { try connection.scalar("SELECT $1::int", [Int64(Int32.max) + 1], as: Int32.self) }
            #expect(overflow?.sqlState == "22003")
            let tooWide = #expect(throws: PostgresError.self) { try connection.scalar("SELECT 2147483648::bigint", as: Int32.self) }
            #expect(tooWide?.kind == .decoding)
            #expect(tooWide?.description.contains("int8") == true)
        }
    }

    @Test func boolUUIDAndJSON() throws {
        try withTestDatabase { connection, _ throws in
            #expect(try connection.scalar("SELECT $1::bool", [true], as: Bool.self) == true)
            #expect(try connection.scalar("SELECT $1::bool", [false], as: Bool.self) == false)
            #expect(try connection.scalar("SELECT NOT $1::bool", [false], as: Bool.self) == true)

            let id = UUID()
            #expect(try connection.scalar("SELECT $1::uuid", [id], as: UUID.self) == id)
            #expect(try connection.scalar("SELECT $1::uuid::text", [id], as: String.self) == id.uuidString.lowercased())

            let document = PostgresJSON(text: #"{"user": "Budi", "amount": "1900000.00", "tags": ["a", "b"], "note": null}"#)
            #expect(try connection.scalar("SELECT $1::json", [document], as: PostgresJSON.self) == document)
            let normalized = try connection.scalar("SELECT $1::jsonb", [document], as: PostgresJSON.self)
            #expect(normalized.text == #"{"note": null, "tags": ["a", "b"], "user": "Budi", "amount": "1900000.00"}"#)
            #expect(try connection.scalar("SELECT $1::jsonb ->> 'amount'", [document], as: String.self) == "1900000.00")
        }
    }

    @Test func byteaRoundTrip() throws {
        try withTestDatabase { connection, _ throws in
            let bytes: [UInt8] = [0, 1, 0x7f, 0x80, 0xfe, 0xff] + Array("\\x".utf8)
            #expect(try connection.scalar("SELECT $1::bytea", [bytes], as: [UInt8].self) == bytes)
            #expect(try connection.scalar("SELECT length($1::bytea)", [bytes], as: Int.self) == bytes.count)
            #expect(try connection.scalar("SELECT $1::bytea", [[UInt8]()], as: [UInt8].self) == [])
            #expect(try connection.scalar("SELECT sha256('abc'::bytea)", as: [UInt8].self).count == 32)
        }
    }

    @Test func decodeByColumnNameAndErrors() throws {
        try withTestDatabase { connection, _ throws in
            let row = try #require(try connection.query("SELECT 42 AS answer, 'forty-two' AS word").first)
            #expect(row.columnCount == 2)
            #expect(row.columnName(1) == "word")
            #expect(try row.decode("answer", as: Int.self) == 42)
            let wrongType = #expect(throws: PostgresError.self) { try row.decode("word", as: Int.self) }
            #expect(wrongType?.description.contains("\"word\"") == true)
            #expect(wrongType?.description.contains("Int") == true)
            #expect(throws: PostgresError.self) { try row.decode("missing", as: Int.self) }
            #expect(throws: PostgresError.self) { try row.decode(7, as: Int.self) }
        }
    }

    @Test func nulByteIsRefusedBeforeSending() throws {
        try withTestDatabase { connection, _ throws in
            let error = #expect(throws: PostgresError.self) { try connection.query("SELECT $1::text", ["a\u{0}b"]) }
            #expect(error?.kind == .protocolViolation)
            let long = String(repeating: "é", count: 40_000)
            for text in ["\u{0}", "abc\u{0}", long + "\u{0}" + long, "\u{0}" + long] {
                #expect(throws: PostgresError.self) { try connection.query("SELECT $1::text", [text]) }
            }
            #expect(try connection.scalar("SELECT length($1::text)", [long], as: Int.self) == 40_000)
            #expect(try connection.scalar("SELECT 1", as: Int.self) == 1)
        }
    }
}
