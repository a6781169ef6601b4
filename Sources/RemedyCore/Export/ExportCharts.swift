import Rupiah

/// The data behind the report's two charts, exact; the HTML report only draws it.
enum ExportCharts {
    /// Days are calendar days in Jakarta (WIB, UTC+7, no daylight saving): the shop's day.
    static let jakartaOffsetSeconds: Int64 = 7 * 3_600
    static let maxDays = 400
    static let maxBins = 12

    static func jakartaDay(_ timestamp: Timestamp) -> String {
        String(timestamp.adding(seconds: jakartaOffsetSeconds).description.prefix(10))
    }

    /// Each adjustment's top-up contributions, attributed to the day the top-up was paid, added
    /// a line at a time (`add`). Every day of the bug window (the plan's `since`/`until`
    /// parameters, when it has them) is listed, with zero where nothing was paid. Σ amount = Σ
    /// excess of the adjustments.
    struct ExcessByDay {
        private var byDay: [String: (amount: Money, topUps: Int)] = [:]

        mutating func add(_ line: AdjustmentLine) throws {
            for use in line.attribution.topUps {
                let day = (try? Timestamp(iso8601: use.paidAt)).map(jakartaDay) ?? String(use.paidAt.prefix(10))
                let known = byDay[day] ?? (.zero, 0)
                byDay[day] = (try known.amount.adding(use.contribution), known.topUps + 1)
            }
        }

        func days(parameters: [String: String]) -> [ExportDayAmount] {
            var byDay = byDay
            if let since = parameters["since"].flatMap({ try? Timestamp(iso8601: $0) }),
               let until = parameters["until"].flatMap({ try? Timestamp(iso8601: $0) }), since < until {
                let last = jakartaDay(until.adding(seconds: -1))
                var day = since
                var count = 0
                while count < maxDays {
                    let name = jakartaDay(day)
                    if byDay[name] == nil { byDay[name] = (.zero, 0) }
                    if name >= last { break }
                    day = day.adding(seconds: 86_400)
                    count += 1
                }
            }
            return byDay.keys.sorted().map { ExportDayAmount(day: $0, amount: byDay[$0]!.amount, topUps: byDay[$0]!.topUps) }
        }
    }

    /// Users per excess range, in at most `maxBins` equal ranges of a round width (1, 2 or 5 × 10ⁿ rupiah).
    static func distribution(_ amounts: [Money]) throws -> [ExportHistogramBin] {
        let positive = amounts.filter(\.isPositive)
        guard let largest = positive.max() else { return [] }
        let minimumStep: Int64 = Money.minorUnitsPerRupiah
        let needed = max(minimumStep, (largest.minorUnits / Int64(maxBins)) + 1)
        var magnitude = minimumStep
        var step = minimumStep
        search: while true {
            for factor: Int64 in [1, 2, 5] {
                let (candidate, overflow) = magnitude.multipliedReportingOverflow(by: factor)
                if overflow { step = .max / Int64(maxBins + 1); break search }
                if candidate >= needed { step = candidate; break search }
            }
            magnitude *= 10
        }
        let binCount = Int(largest.minorUnits / step) + 1
        var counts = [Int](repeating: 0, count: binCount)
        for amount in positive { counts[Int(amount.minorUnits / step)] += 1 }
        return counts.enumerated().map { index, users in
            ExportHistogramBin(from: Money(minorUnits: Int64(index) * step), to: Money(minorUnits: Int64(index + 1) * step), users: users)
        }
    }
}
