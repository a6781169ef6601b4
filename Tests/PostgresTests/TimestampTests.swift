import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct TimestampTests {
    /// 2025-11-19 05:24:18.123456 UTC
    let sample = Date(timeIntervalSince1970: 1_763_529_858.123456)

    @Test func encodesISO8601UTCWithMicroseconds() {
        #expect(sample.postgresText == "2025-11-19T05:24:18.123456Z")
        #expect(Date(timeIntervalSince1970: 0).postgresText == "1970-01-01T00:00:00.000000Z")
        #expect(Date(timeIntervalSince1970: -0.000001).postgresText == "1969-12-31T23:59:59.999999Z")
    }

    @Test(arguments: [
        ("2025-11-19 05:24:18.123456+00", 1_763_529_858_123_456),
        ("2025-11-19 12:24:18.123456+07", 1_763_529_858_123_456),
        ("2025-11-19 10:54:18.123456+05:30", 1_763_529_858_123_456),
        ("2025-11-19 01:54:18.123456-03:30:00", 1_763_529_858_123_456),
        ("2025-11-19 05:24:18+00", 1_763_529_858_000_000),
        ("2025-11-19 05:24:18.1+00", 1_763_529_858_100_000),
        ("2025-11-19 05:24:18.12345", 1_763_529_858_123_450),
        ("2025-11-19T05:24:18.123456Z", 1_763_529_858_123_456),
        ("2000-02-29 00:00:00+00", 951_782_400_000_000),
    ] as [(String, Int64)])
    func parsesServerText(text: String, microseconds: Int64) throws {
        let date = try Date(postgresText: text, typeOID: 1184)
        #expect(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) == microseconds)
    }

    @Test(arguments: ["infinity", "-infinity", "2025-11-19", "2025-11-19 05:24:18.1234567+00", "2025-13-01 00:00:00+00", "yesterday"])
    func refusesWhatIsNotADate(text: String) {
        let error = #expect(throws: PostgresError.self) { try Date(postgresText: text, typeOID: 1184) }
        #expect(error?.kind == .decoding)
        #expect(error?.description.contains(text) == true)
    }

    @Test func infinityFromTheServerIsAClearDecodingError() throws {
        try withTestDatabase { connection, _ throws in
            let row = try #require(try connection.query("SELECT 'infinity'::timestamptz AS valid_until").first)
            let error = #expect(throws: PostgresError.self) { try row.decode(0, as: Date.self) }
            #expect(error?.description.contains("valid_until") == true)
            #expect(error?.description.contains("infinity") == true)
        }
    }

    @Test func roundTripsThroughTheServer() throws {
        try withTestDatabase { connection, _ throws in
            let dates = [
                sample,
                Date(timeIntervalSince1970: 0),
                Date(timeIntervalSince1970: 1_700_000_000.000001),
                Date(timeIntervalSince1970: 1_700_000_000.999999),
                Date(timeIntervalSince1970: -1_000_000_000.5),
                Date(timeIntervalSince1970: 253_402_300_799.999999),  // 9999-12-31 23:59:59.999999
            ]
            for date in dates {
                let back = try connection.scalar("SELECT $1::timestamptz", [date], as: Date.self)
                #expect(back.postgresText == date.postgresText)
            }
            #expect(try connection.scalar("SELECT $1::timestamptz::text", [sample], as: String.self) == "2025-11-19 05:24:18.123456+00")
            // timestamp without time zone is read as UTC.
            #expect(try connection.scalar("SELECT $1::timestamptz::timestamp", [sample], as: Date.self) == sample)
        }
    }

    @Test func nonUTCOffsetsWrittenByTheServer() throws {
        try withTestDatabase { connection, _ throws in
            // A session in another zone writes local offsets; the instant must not change.
            for zone in ["Asia/Jakarta", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"] {
                try connection.execute("SELECT set_config('TimeZone', $1, false)", [zone])
                let text = try connection.scalar("SELECT $1::timestamptz::text", [sample], as: String.self)
                #expect(!text.hasSuffix("+00"), "\(zone): \(text)")
                let back = try connection.scalar("SELECT $1::timestamptz", [sample], as: Date.self)
                #expect(back.postgresText == sample.postgresText, "\(zone): \(text)")
            }
        }
    }

    @Test func beforeTheCommonEra() throws {
        try withTestDatabase { connection, _ throws in
            let text = "0044-03-15 12:00:00+00 BC"
            let date = try connection.scalar("SELECT $1::timestamptz", [text], as: Date.self)
            #expect(date.postgresText == "0044-03-15T12:00:00.000000Z BC")
            #expect(try connection.scalar("SELECT $1::timestamptz::text", [date], as: String.self) == text)
        }
    }
}
