/// Time in the simulation: whole unix seconds (Int64), the shop's days in Asia/Jakarta (UTC+7,
/// no daylight saving). Pure arithmetic, so it never depends on the host's time zone database.
enum SimulatedClock {
    static let jakartaOffset: Int64 = 7 * 3600
    static let day: Int64 = 86_400
    static let hour: Int64 = 3_600
    static let minute: Int64 = 60

    /// Seconds since 1970 for a civil date and time at a UTC offset (Howard Hinnant's days_from_civil).
    static func epoch(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0,
                      offset: Int64 = jakartaOffset) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * Self.day + Int64(hour) * Self.hour + Int64(minute) * Self.minute + Int64(second) - offset
    }

    /// The history the simulator writes: from the shop's October to its December snapshot.
    static let historyStart = epoch(2025, 10, 1)
    static let historyEnd = epoch(2025, 12, 20)

    /// Midnight (Jakarta) of the day holding `time`.
    static func jakartaMidnight(of time: Int64) -> Int64 {
        let local = time + jakartaOffset
        let days = local >= 0 ? local / day : (local - day + 1) / day
        return days * day - jakartaOffset
    }

    /// A moment in `lower..<upper` (upper > lower) that falls, where the span allows, in the
    /// shop's busy hours: people top up and buy mostly from 08:00 to 23:00 Jakarta time.
    static func businessMoment(in lower: Int64, _ upper: Int64, _ random: inout SimulationRandom) -> Int64 {
        precondition(upper > lower)
        if upper - lower < 2 * day { return lower + Int64(random.below(Int(upper - lower))) }
        for _ in 0..<4 {
            let midnight = jakartaMidnight(of: lower + Int64(random.below(Int(upper - lower))))
            let hourOfDay = random.weighted(busyHours)
            let candidate = midnight + Int64(hourOfDay) * hour + Int64(random.below(Int(hour)))
            if candidate >= lower && candidate < upper { return candidate }
        }
        return lower + Int64(random.below(Int(upper - lower)))
    }

    /// Weights per Jakarta hour: quiet at night, busy in the evening.
    private static let busyHours: [(Int, Int)] = [
        (0, 3), (1, 2), (2, 1), (3, 1), (4, 1), (5, 2), (6, 3), (7, 5), (8, 8), (9, 10), (10, 11), (11, 11),
        (12, 12), (13, 11), (14, 10), (15, 10), (16, 10), (17, 11), (18, 12), (19, 14), (20, 15), (21, 14),
        (22, 10), (23, 6),
    ]
}
