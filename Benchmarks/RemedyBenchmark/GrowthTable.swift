/// How plan, apply and memory grow across the sizes of one invocation (issue 13: linearly in time,
/// not at all in memory). Each "× first" is against the smallest size of the same run.
enum GrowthTable {
    static func lines(_ sizes: [Figures]) -> [String] {
        guard let first = sizes.min(by: { $0.userCount < $1.userCount }) else { return [] }
        func times(_ value: Double, _ base: Double) -> String { base > 0 ? "\(format(value / base, digits: 2))×" : "–" }
        var lines = [
            "| users | × first | transactions | plan | × first | plan / ledger floor | apply | × first | apply / bare UPDATE | durable apply | largest peak RSS (command) |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for size in sizes.sorted(by: { $0.userCount < $1.userCount }) {
            let plan = size.plan?.seconds ?? 0
            let apply = size.applied.apply?.seconds ?? 0
            let peaks = [("plan", size.planPeakMegabytes), ("apply", size.applied.apply?.peakRSSMegabytes ?? 0)]
                + size.commands.map { ($0.name, $0.run.peakRSSMegabytes) }
            let largest = peaks.max { $0.1 < $1.1 } ?? ("–", 0)
            let durable = size.durable?.apply.map { "\(format($0.seconds, digits: 2)) s" } ?? "–"
            lines.append("| \(size.userCount) | \(times(Double(size.userCount), Double(first.userCount))) | \(size.transactionCount) "
                + "| \(format(plan, digits: 2)) s | \(times(plan, first.plan?.seconds ?? 0)) | \(times(plan, size.ledgerFloor.best)) "
                + "| \(format(apply, digits: 2)) s | \(times(apply, first.applied.apply?.seconds ?? 0)) | \(times(apply, size.applied.bareUpdate.best)) "
                + "| \(durable) | \(format(largest.1, digits: 1)) MB (\(largest.0)) |")
        }
        return lines
    }
}
