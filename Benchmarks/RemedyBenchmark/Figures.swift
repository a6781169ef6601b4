import Foundation
import RemedyCore

struct Timing {
    let runs: [Double]
    let rows: Int
    var best: Double { runs.min() ?? 0 }
}

struct BatchFigures {
    let count: Int
    let p50: Double
    let p99: Double
    let max: Double
    let largest: Int
}

struct ExportFigures {
    let format: String
    let run: ChildResult
    let bytes: Int
}

/// Everything one run measured, and the report with the targets of issue 6.
struct Figures {
    let users: Int
    let remedyPath: String
    let serverVersion: String
    let settings: [String]
    var userCount = 0
    var transactionCount = 0
    var loadSeconds = 0.0
    var seedQuery = Timing(runs: [], rows: 0)
    var countScan = Timing(runs: [], rows: 0)
    var plan: ChildResult?
    var planRuns: [ChildResult] = []
    var planTotals = PlanTotals()
    var planBytes = 0
    var bareUpdate = Timing(runs: [], rows: 0)
    var apply: ChildResult?
    var applyOutcome = ""
    var batches: BatchFigures?
    var topupsIdle: LatencySummary?
    var topupsDuringApply: LatencySummary?
    var topupsAimed: LatencySummary?
    var exports: [ExportFigures] = []
    /// /proc/loadavg when the run started and when it ended: other work on the machine shows here.
    var loadAverageAtStart = Machine.loadAverage
    var loadAverageAtEnd = ""

    static let rssTargetMegabytes = 150.0
    static let topupP99TargetMilliseconds = 50.0

    init(users: Int, remedyPath: String, serverVersion: String, settings: [String]) {
        self.users = users
        self.remedyPath = remedyPath
        self.serverVersion = serverVersion
        self.settings = settings
    }

    func report() -> [String] {
        let planSeconds = plan?.seconds ?? 0
        let applySeconds = apply?.seconds ?? 0
        var lines: [String] = []
        lines.append("== remedy benchmark: \(userCount) users, \(transactionCount) transactions (seed \(RemedyBenchmark.seed)), PostgreSQL \(serverVersion)")
        lines.append("| measure | figure |")
        lines.append("|---|---|")
        lines.append("| load (simulator) | \(format(loadSeconds, digits: 1)) s |")
        lines.append("| seed 000 reconciliation (best of \(seedQuery.runs.count), warm) | \(format(seedQuery.best)) s, \(seedQuery.rows) rows (runs: \(seedQuery.runs.map { format($0) }.joined(separator: ", "))) |")
        lines.append("| count(*) over transactions (best of \(countScan.runs.count), warm) | \(format(countScan.best)) s (runs: \(countScan.runs.map { format($0) }.joined(separator: ", "))) |")
        let planPeak = planRuns.map(\.peakRSSMegabytes).max() ?? plan?.peakRSSMegabytes ?? 0
        lines.append("| remedy plan (release binary, best of \(planRuns.count)) | \(format(planSeconds)) s (runs: \(planRuns.map { format($0.seconds) }.joined(separator: ", "))), peak RSS \(format(planPeak, digits: 1)) MB; \(planTotals.usersExamined) users examined, \(planTotals.adjustmentCount) adjustments, \(planTotals.holdCount) holds, \(planTotals.settledCount) settled; plan.json \(format(Double(planBytes) / 1_048_576, digits: 1)) MB |")
        lines.append("| bare set-based UPDATE, rolled back (best of \(bareUpdate.runs.count)) | \(format(bareUpdate.best)) s for \(bareUpdate.rows) balances (runs: \(bareUpdate.runs.map { format($0) }.joined(separator: ", "))) |")
        lines.append("| remedy apply (release binary) | \(format(applySeconds)) s, peak RSS \(format(apply?.peakRSSMegabytes ?? 0, digits: 1)) MB; \(applyOutcome) |")
        if let batches {
            lines.append("| apply's batch transactions (server side, BEGIN → last write) | \(batches.count) batches of ≤ \(batches.largest) users: p50 \(format(batches.p50, digits: 1)) ms, p99 \(format(batches.p99, digits: 1)) ms, max \(format(batches.max, digits: 1)) ms |")
        }
        lines.append("| live top-ups before apply (idle, 3 s) | \(describe(topupsIdle)) |")
        lines.append("| live top-ups during apply, users the plan corrects at random | \(describe(topupsDuringApply)) |")
        lines.append("| live top-ups during apply, aimed at the batch being applied | \(describe(topupsAimed)) |")
        for export in exports {
            lines.append("| remedy export --format \(export.format) (after apply, cross-checked) | \(format(export.run.seconds)) s, peak RSS \(format(export.run.peakRSSMegabytes, digits: 1)) MB, \(format(Double(export.bytes) / 1_048_576, digits: 1)) MB written |")
        }
        lines.append("")
        lines.append("| target | measured | limit | verdict |")
        lines.append("|---|---|---|---|")
        lines.append(ratioRow("plan / seed 000 query", planSeconds, seedQuery.best, limit: 0.33))
        lines.append(ratioRow("plan / count(*) scan", planSeconds, countScan.best, limit: 5))
        lines.append(ratioRow("apply / bare UPDATE", applySeconds, bareUpdate.best, limit: 5))
        lines.append(limitRow("plan peak RSS", planPeak, limit: Self.rssTargetMegabytes, unit: "MB"))
        lines.append(limitRow("apply peak RSS", apply?.peakRSSMegabytes ?? 0, limit: Self.rssTargetMegabytes, unit: "MB"))
        for export in exports {
            lines.append(limitRow("export (\(export.format)) peak RSS", export.run.peakRSSMegabytes, limit: Self.rssTargetMegabytes, unit: "MB"))
        }
        lines.append(limitRow("live top-up p99 during apply (at random)", topupsDuringApply?.p99 ?? .infinity, limit: Self.topupP99TargetMilliseconds, unit: "ms"))
        lines.append(limitRow("live top-up p99 during apply (aimed at the batch)", topupsAimed?.p99 ?? .infinity, limit: Self.topupP99TargetMilliseconds, unit: "ms"))
        lines.append("")
        lines.append("machine: \(Machine.description); load average at start \(loadAverageAtStart), at end \(loadAverageAtEnd)")
        lines.append("remedy: \(remedyPath); server settings: \(settings.joined(separator: " "))")
        return lines
    }

    private func describe(_ summary: LatencySummary?) -> String {
        guard let summary else { return "no samples" }
        return "\(summary.count) inserts: p50 \(format(summary.p50, digits: 2)) ms, p99 \(format(summary.p99, digits: 2)) ms, max \(format(summary.max, digits: 2)) ms"
    }

    private func ratioRow(_ name: String, _ value: Double, _ base: Double, limit: Double) -> String {
        guard base > 0 else { return "| \(name) | (no baseline) | ≤ \(limit)× | – |" }
        let ratio = value / base
        let verdict = ratio <= limit ? "met" : "MISSED by \(format(ratio / limit, digits: 2))× (\(format(value - limit * base, digits: 2)) s over)"
        return "| \(name) | \(format(ratio, digits: 2))× (\(format(value)) s / \(format(base)) s) | ≤ \(limit)× | \(verdict) |"
    }

    private func limitRow(_ name: String, _ value: Double, limit: Double, unit: String) -> String {
        let verdict = value <= limit ? "met" : "MISSED by \(format(value - limit, digits: 1)) \(unit) (\(format(value / limit, digits: 2))×)"
        return "| \(name) | \(format(value, digits: 1)) \(unit) | ≤ \(format(limit, digits: 0)) \(unit) | \(verdict) |"
    }
}

/// What the figures were measured on (Linux: /proc).
enum Machine {
    static var loadAverage: String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }

    static var description: String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":", maxSplits: 1).last?
            .trimmingCharacters(in: .whitespaces) ?? "?"
        let meminfo = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)) ?? ""
        let kilobytes = meminfo.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return "\(ProcessInfo.processInfo.activeProcessorCount) CPUs (\(model)), \(format(Double(kilobytes) / 1_048_576, digits: 1)) GiB memory"
    }
}
