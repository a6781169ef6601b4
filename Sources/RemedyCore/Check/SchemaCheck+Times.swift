import Postgres

/// Whether the mapped paid_at columns hold the instants the gateway says the top-ups were paid:
/// each column, read as plan reads it (in `local_time_zone` where it carries no zone), against
/// the callback's `paid_at` (Unix seconds, the gateway's own clock and zone-free). A shop whose
/// app writes WIB wall time into a zone-less column, or into a timestamptz as if it were UTC,
/// shows a seven-hour offset on nearly every row; the column's type cannot tell, the data can.
extension SchemaCheck {
    /// Offsets are counted in buckets of this many seconds: a callback handled a few minutes
    /// late still counts as agreeing.
    static let timeBucketSeconds = 900
    /// The share of compared rows the most common offset must have to be called the column's.
    static let timeAgreementPercent = 90

    /// The callback-based paid_at source (a field in Unix seconds) and the mapped paid_at columns
    /// compared with it; nil when the spec has no such source or no stored callback.
    var timeComparison: (sourceName: String, field: String, columns: [SQLIdentifier])? {
        guard spec.schema.transactions.callback != nil,
              let source = spec.schema.paidAtSources.sorted(by: { $0.key < $1.key })
                .first(where: { $0.value.unixSeconds && $0.value.callbackField != nil }) else { return nil }
        let columns = Set(spec.schema.paidAtSources.values.compactMap(\.column)).sorted { $0.description < $1.description }
        return columns.isEmpty ? nil : (source.key, source.value.callbackField!, columns)
    }

    /// Up to this many rows in the table, every top-up near the window is compared; above, one
    /// in the smallest power of two that brings the rows divided by it to this many, so the
    /// comparison costs about what it costs on a table of this size.
    static let timeSampleRowsPerSlot = 1_000_000

    /// The offsets as items of check's one grouped pass over the transactions (CheckSQL.transactions):
    /// no scan of their own. The completed top-ups the pass reads the callback of are compared,
    /// one in `sampleEvery` (a zone is misread alike on every row, so a sample shows it).
    func timeFragments(_ template: SQLTemplate, zonelessTimes: ZonelessTimes, sampleEvery: Int) -> [String: String] {
        guard let comparison = timeComparison, let callback = spec.schema.transactions.callback else {
            return ["check.offsets": "", "check.offset_columns": ""]
        }
        let tx = spec.schema.transactions
        let items = CheckSQL.timeOffsets(reads: comparison.columns.map { zonelessTimes.read($0, alias: "t", zoneValue: ZonelessTimes.templateZone) },
                                         callback: callback, status: template.fragments["expr.status"]!, reference: "t.\(tx.reference.sql)",
                                         scope: template.fragments["check.received_scope"] ?? CheckSQL.everyReceived,
                                         sampleEvery: sampleEvery, bucketSeconds: Self.timeBucketSeconds)
        return ["check.offsets": items, "check.offset_columns": comparison.columns.indices.map { ", r.time_offset_\($0)" }.joined()]
    }

    /// One top-up in how many is compared (a power of two), from the planner's row count.
    func timeSampleEvery(on connection: PostgresConnection) throws -> Int {
        guard timeComparison != nil else { return 1 }
        let rows = try connection.query(CheckSQL.estimatedRows, [spec.schema.transactions.table.sql])[0].decode(0, as: Int.self)
        var sampleEvery = 1
        while sampleEvery < 1 << 20, rows / sampleEvery > Self.timeSampleRowsPerSlot { sampleEvery *= 2 }
        return sampleEvery
    }

    var timeValues: [String: any PostgresEncodable] {
        timeComparison.map { ["check_paid_at_field": $0.field] } ?? [:]
    }

    func checkTimesAgainstCallback(_ groups: [TransactionGroup], zonelessTimes: ZonelessTimes, sampleEvery: Int, into findings: inout [CheckFinding]) {
        guard let (sourceName, field, columns) = timeComparison else { return }
        let transactions = spec.schema.transactions
        for (index, column) in columns.enumerated() {
            var byOffset: [Int: Int] = [:]
            for group in groups {
                if let offset = group.timeOffsets[index] { byOffset[offset, default: 0] += group.rows }
            }
            let rows = byOffset.map { (offset: $0.key, rows: $0.value) }
            let compared = rows.reduce(0) { $0 + $1.rows }
            let spelled = "\(transactions.table.unqualifiedName).\(column.unqualifiedName)"
            var facts = ["column": column.description, "callback_source": "paid_at_sources.\(sourceName)", "compared": String(compared),
                         "bucket_seconds": String(Self.timeBucketSeconds), "sample_one_in": String(sampleEvery)]
            guard let top = rows.max(by: { ($0.rows, -abs($0.offset)) < ($1.rows, -abs($1.offset)) }) else {
                findings.append(CheckFinding("times", .info, "\(spelled): no paid top-up near the window has both it and the callback's \(field) to compare", facts: facts))
                continue
            }
            facts["offset_seconds"] = String(top.offset)
            facts["rows_at_offset"] = String(top.rows)
            let share = "\(top.rows) of \(compared) paid top-ups\(hasWindow ? " near the window" : "")\(sampleEvery > 1 ? " (one in \(sampleEvery) compared)" : "")"
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
