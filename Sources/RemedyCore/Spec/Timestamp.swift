import Postgres

/// An instant given with an explicit offset (`2025-11-20T00:00:00+07:00`), kept as UTC
/// microseconds since the Unix epoch. A value without an offset is refused: "00:00" in Jakarta
/// and in UTC are seven hours apart, and a bug window must not depend on the server's zone.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let microsecondsSinceEpoch: Int64

    public init(microsecondsSinceEpoch: Int64) {
        self.microsecondsSinceEpoch = microsecondsSinceEpoch
    }

    /// 0001-01-01T00:00:00Z. An instant before it has no year remedy can write (`description`)
    /// or PostgreSQL can read in this form, so none is accepted.
    public static let earliest = Timestamp(microsecondsSinceEpoch: -62_135_596_800 * 1_000_000)

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.microsecondsSinceEpoch < rhs.microsecondsSinceEpoch
    }

    public func adding(seconds: Int64) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: microsecondsSinceEpoch + seconds * 1_000_000)
    }

    /// ISO 8601 with `T` or a space, seconds and fraction optional, offset `Z`, `±HH`, `±HH:MM` or `±HHMM`.
    public init(iso8601 text: String) throws {
        func fail(_ why: String) -> RemedyError {
            RemedyError(.badParameter, "\"\(text.prefix(60))\" is not a timestamp with an offset (\(why)); write it like 2025-11-20T00:00:00+07:00")
        }
        let s = Array(text.utf8)
        var i = 0
        func digits(_ count: Int) throws -> Int64 {
            guard i + count <= s.count else { throw fail("it is cut short") }
            var value: Int64 = 0
            for _ in 0..<count {
                guard s[i] >= 48, s[i] <= 57 else { throw fail("expected a digit at position \(i + 1)") }
                value = value * 10 + Int64(s[i] - 48)
                i += 1
            }
            return value
        }
        func expect(_ byte: UInt8) throws {
            guard i < s.count, s[i] == byte else { throw fail("expected \"\(Character(UnicodeScalar(byte)))\" at position \(i + 1)") }
            i += 1
        }
        let year = try digits(4); try expect(UInt8(ascii: "-"))
        let month = try digits(2); try expect(UInt8(ascii: "-"))
        let day = try digits(2)
        guard i < s.count, s[i] == UInt8(ascii: "T") || s[i] == UInt8(ascii: " ") else { throw fail("the time is missing") }
        i += 1
        let hour = try digits(2); try expect(UInt8(ascii: ":"))
        let minute = try digits(2)
        var second: Int64 = 0
        var micros: Int64 = 0
        if i < s.count, s[i] == UInt8(ascii: ":") {
            i += 1
            second = try digits(2)
            if i < s.count, s[i] == UInt8(ascii: ".") {
                i += 1
                var count = 0
                while i < s.count, s[i] >= 48, s[i] <= 57 {
                    guard count < 6 else { throw fail("more than 6 fractional digits") }
                    micros = micros * 10 + Int64(s[i] - 48)
                    count += 1
                    i += 1
                }
                guard count > 0 else { throw fail("a dot without digits") }
                for _ in count..<6 { micros *= 10 }
            }
        }
        guard i < s.count else { throw fail("the offset is missing") }
        var offsetSeconds: Int64 = 0
        if s[i] == UInt8(ascii: "Z") || s[i] == UInt8(ascii: "z") {
            i += 1
        } else if s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") {
            let sign: Int64 = s[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            let offsetHours = try digits(2)
            var offsetMinutes: Int64 = 0
            if i < s.count, s[i] == UInt8(ascii: ":") { i += 1 }
            if i < s.count { offsetMinutes = try digits(2) }
            guard offsetHours <= 15, offsetMinutes < 60 else { throw fail("the offset is out of range") }
            offsetSeconds = sign * (offsetHours * 3_600 + offsetMinutes * 60)
        } else {
            // Name what stands there: "missing" would mislead when, say, a stray byte precedes the offset.
            let found = String(decoding: s[i..<min(s.count, i + 4)], as: UTF8.self).first.map { "\"\($0)\"" } ?? "a byte"
            throw fail("expected the offset (Z or +07:00) at position \(i + 1), found \(found)")
        }
        guard i == s.count else { throw fail("unexpected text after the offset") }
        guard (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month: month, year: year),
              hour < 24, minute < 60, second < 60 else { throw fail("the date or time is out of range") }
        let days = CivilCalendar.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offsetSeconds
        self.init(microsecondsSinceEpoch: seconds * 1_000_000 + micros)
        guard self >= Timestamp.earliest else {
            throw RemedyError(.badParameter, "\"\(text.prefix(60))\" is before 0001-01-01T00:00:00Z, the first instant remedy reads; write a date like 2025-11-20T00:00:00+07:00")
        }
    }

    /// `2025-11-19T17:00:00.000000Z`: the form plans store and PostgreSQL reads as timestamptz.
    public var description: String {
        let seconds = microsecondsSinceEpoch >= 0 ? microsecondsSinceEpoch / 1_000_000 : (microsecondsSinceEpoch - 999_999) / 1_000_000
        let micros = microsecondsSinceEpoch - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = CivilCalendar.civilDate(fromDaysSinceEpoch: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3_600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(micros, 6))Z"
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
