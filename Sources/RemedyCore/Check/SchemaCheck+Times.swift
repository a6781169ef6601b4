import Postgres

/// Whether the mapped paid_at columns hold the instants the gateway says the top-ups were paid:
/// each column, read as plan reads it (in `local_time_zone` where it carries no zone), against
/// the callback's `paid_at` (Unix seconds, the gateway's own clock and zone-free). A shop whose
/// app writes WIB wall time into a zone-less column, or into a timestamptz as if it were UTC,
/// shows a seven-hour offset on nearly every row; the column's type cannot tell, the data can.
extension SchemaCheck {
    /// Paid top-ups compared per column at most: the first this many found, so a large shop
    /// costs a bounded part of a scan.
    static let timeSampleRows = 20_000
    /// Offsets are counted in buckets of this many seconds: a callback handled a few minutes
    /// late still counts as agreeing.
    static let timeBucketSeconds = 900
    /// The share of compared rows the most common offset must have to be called the column's.
    static let timeAgreementPercent = 90

    func checkTimesAgainstCallback(_ template: SQLTemplate, zonelessTimes: ZonelessTimes, on connection: PostgresConnection,
                                   into findings: inout [CheckFinding]) throws {
        let transactions = spec.schema.transactions
        guard let callback = transactions.callback,
              let (sourceName, field) = spec.schema.paidAtSources.sorted(by: { $0.key < $1.key })
                .first(where: { $0.value.unixSeconds && $0.value.callbackField != nil }).map({ ($0.key, $0.value.callbackField!) }) else { return }
        let columns = Set(spec.schema.paidAtSources.values.compactMap(\.column)).sorted { $0.description < $1.description }
        for column in columns {
            let read = zonelessTimes.read(column, alias: "t", zoneValue: "{{$local_time_zone}}")
            let sql = CheckSQL.timeOffsets(read: read, callback: callback, windowed: hasWindow,
                                           bucketSeconds: Self.timeBucketSeconds, sampleRows: Self.timeSampleRows)
            let rendered = try render(template.with(["check_paid_at_field": field]), sql)
            let rows = try connection.query(rendered.sql, rendered.parameters).map { (offset: try $0.decode(0, as: Int.self), rows: try $0.decode(1, as: Int.self)) }
            let compared = rows.reduce(0) { $0 + $1.rows }
            let spelled = "\(transactions.table.unqualifiedName).\(column.unqualifiedName)"
            var facts = ["column": column.description, "callback_source": "paid_at_sources.\(sourceName)", "compared": String(compared),
                         "bucket_seconds": String(Self.timeBucketSeconds)]
            guard let top = rows.max(by: { ($0.rows, -abs($0.offset)) < ($1.rows, -abs($1.offset)) }) else {
                findings.append(CheckFinding("times", .info, "\(spelled): no paid top-up near the window has both it and the callback's \(field) to compare", facts: facts))
                continue
            }
            facts["offset_seconds"] = String(top.offset)
            facts["rows_at_offset"] = String(top.rows)
            let share = "\(top.rows) of \(compared) paid top-ups\(hasWindow ? " near the window" : "")"
            let reading = zonelessTimes.columns.contains(column)
                ? (zonelessTimes.zone.map { "read as wall time in \($0)" } ?? "read as UTC")
                : "a timestamptz"
            if top.offset == 0, top.rows * 100 >= compared * Self.timeAgreementPercent {
                findings.append(CheckFinding("times", .ok, "\(spelled) (\(reading)) agrees with the callback's \(field) within \(Self.timeBucketSeconds / 60) minutes on \(share)", facts: facts))
            } else if top.offset == 0 {
                findings.append(CheckFinding("times", .warning,
                    "\(spelled) (\(reading)) agrees with the callback's \(field) on only \(share): compare the two on the rows that differ before trusting either as paid_at",
                    facts: facts))
            } else if abs(top.offset) >= 3_600, top.rows * 100 >= compared * Self.timeAgreementPercent,
                      let chosen = parameters.values["paid_at"], spec.schema.paidAtSources[chosen]?.column == column,
                      spec.schema.paidAtSources[chosen]?.callbackField == nil {
                // The window itself would be read that far off: every top-up near its edges
                // attributed or not by the misreading. Plan does not run on it.
                let fix = zonelessTimes.columns.contains(column)
                    ? "name the shop's zone in schema.transactions.local_time_zone (Asia/Jakarta is +07:00)"
                    : "choose --param paid_at=\(sourceName), the gateway's own time"
                findings.append(CheckFinding("times", .error,
                    "\(spelled) (\(reading)), the paid_at this plan would use, is \(Self.describe(offsetSeconds: top.offset)) from the callback's \(field) on \(share), so the window would be read that far off: \(fix)",
                    facts: facts))
            } else {
                let cause = abs(top.offset) < 3_600
                    ? "it is written some time after the payment (a callback handled late, or a clock off), so it is not when the gateway says the top-up was paid: prefer paid_at=\(sourceName) if the window's edges matter"
                    : zonelessTimes.columns.contains(column)
                    ? "the shop writes another zone's wall time there: name the zone whose offset this is in schema.transactions.local_time_zone (Asia/Jakarta is +07:00)"
                    : "the shop stored another zone's wall time as if it were UTC, or the callback's clock is off: choose paid_at=\(sourceName) if the gateway's time is the one to trust"
                findings.append(CheckFinding("times", .warning,
                    "\(spelled) (\(reading)) is \(Self.describe(offsetSeconds: top.offset)) from the callback's \(field) on \(share), so every window comparison on it moves by that much: \(cause)",
                    facts: facts))
            }
        }
    }

    /// `+7 h`, `-30 min`, `+5 h 45 min` (from the callback's time to the column's).
    static func describe(offsetSeconds: Int) -> String {
        let minutes = abs(offsetSeconds) / 60
        let text = [minutes / 60 > 0 ? "\(minutes / 60) h" : nil, minutes % 60 > 0 ? "\(minutes % 60) min" : nil].compactMap { $0 }.joined(separator: " ")
        return (offsetSeconds < 0 ? "-" : "+") + (text.isEmpty ? "0 min" : text)
    }
}
