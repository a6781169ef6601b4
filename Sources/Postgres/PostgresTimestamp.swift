import Foundation

/// timestamptz text by hand (no DateFormatter): the session runs with DateStyle ISO and TimeZone UTC.
enum PostgresTimestamp {
    static let microsecondsPerSecond: Int64 = 1_000_000
    static let secondsPerDay: Int64 = 86_400

    /// ISO 8601 in UTC with microseconds, e.g. `2025-11-19T05:24:18.123456Z` (`… BC` before year 1).
    static func format(_ date: Date) -> String {
        let scaled = (date.timeIntervalSince1970 * Double(microsecondsPerSecond)).rounded()
        // Beyond ±292,000 years Int64 microseconds overflow; PostgreSQL's own infinities are the honest answer.
        guard scaled.isFinite, abs(scaled) < 9.2e18 else { return scaled < 0 ? "-infinity" : "infinity" }
        let microseconds = Int64(scaled)
        let totalSeconds = floorDivide(microseconds, microsecondsPerSecond)
        let fraction = microseconds - totalSeconds * microsecondsPerSecond
        let days = floorDivide(totalSeconds, secondsPerDay)
        let secondOfDay = totalSeconds - days * secondsPerDay
        let (year, month, day) = CivilCalendar.civilDate(fromDaysSinceEpoch: days)
        // Astronomical year 0 is 1 BC.
        let isBC = year <= 0
        let shownYear = isBC ? 1 - year : year
        return padded(shownYear, 4) + "-" + padded(month, 2) + "-" + padded(day, 2)
            + "T" + padded(secondOfDay / 3600, 2) + ":" + padded(secondOfDay / 60 % 60, 2) + ":" + padded(secondOfDay % 60, 2)
            + "." + padded(fraction, 6) + "Z" + (isBC ? " BC" : "")
    }

    /// Reads `2025-11-19 05:24:18.123456+00`: optional 1–6 fractional digits, offsets like +07, +05:30, -03:30:00
    /// or Z; no offset (timestamp without time zone) is read as UTC; a trailing ` BC` is honoured.
    static func parse(_ text: String) throws -> Date {
        if text == "infinity" || text == "-infinity" {
            throw PostgresError(kind: .decoding, message: "timestamp '\(text)' cannot be represented as a Date")
        }
        var cursor = PostgresTextCursor(text)
        var year = try cursor.number(minimumDigits: 4, maximumDigits: 7, in: text)
        try cursor.expect("-", in: text)
        let month = try cursor.number(digits: 2, in: text)
        try cursor.expect("-", in: text)
        let day = try cursor.number(digits: 2, in: text)
        guard cursor.take(" ") || cursor.take("T") else { throw invalid(text, "expected a time after the date") }
        let hour = try cursor.number(digits: 2, in: text)
        try cursor.expect(":", in: text)
        let minute = try cursor.number(digits: 2, in: text)
        try cursor.expect(":", in: text)
        let second = try cursor.number(digits: 2, in: text)
        var fraction: Int64 = 0
        if cursor.take(".") {
            let start = cursor.position
            let digits = try cursor.number(minimumDigits: 1, maximumDigits: 6, in: text)
            fraction = digits * power10(6 - (cursor.position - start))
        }
        let offsetSeconds = try parseOffset(&cursor, in: text)
        if cursor.take(" ") {
            guard cursor.take("B"), cursor.take("C") else { throw invalid(text, "unexpected text after the time") }
            year = 1 - year
        }
        guard cursor.isAtEnd else { throw invalid(text, "unexpected text after the time") }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else {
            throw invalid(text, "a field is out of range")
        }

        let days = CivilCalendar.daysSinceEpoch(year: year, month: month, day: day)
        let seconds = days * secondsPerDay + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(fraction) / Double(microsecondsPerSecond))
    }

    /// `Z`, `+HH`, `+HH:MM` or `+HH:MM:SS` (either sign); none means UTC.
    private static func parseOffset(_ cursor: inout PostgresTextCursor, in text: String) throws -> Int64 {
        if cursor.take("Z") { return 0 }
        let sign: Int64
        if cursor.take("+") { sign = 1 } else if cursor.take("-") { sign = -1 } else { return 0 }
        var seconds = try cursor.number(digits: 2, in: text) * 3600
        if cursor.take(":") {
            seconds += try cursor.number(digits: 2, in: text) * 60
            if cursor.take(":") {
                seconds += try cursor.number(digits: 2, in: text)
            }
        }
        return sign * seconds
    }

    static func invalid(_ text: String, _ reason: String) -> PostgresError {
        PostgresError(kind: .decoding, message: "\"\(text)\" is not a valid timestamp: \(reason)")
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }

    private static func power10(_ exponent: Int) -> Int64 {
        (0..<exponent).reduce(1) { product, _ in product * 10 }
    }

    private static func padded(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
