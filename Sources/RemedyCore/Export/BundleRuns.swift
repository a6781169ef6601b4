import Foundation

/// The apply reports in a bundle's `runs/`, oldest first, and what they say per user line.
///
/// The rule: a line applied by any run is applied (the book takes a correction once, so no later
/// run can undo or repeat it; a later run's "already applied" confirms it). Otherwise the latest
/// run that mentions the line has the last word (stale, skipped, already applied elsewhere).
struct BundleRuns {
    static let directory = "runs"

    struct Report {
        let report: ApplyReport
        /// startedAt, or the file's modification time for reports written before it existed.
        let orderKey: String
    }

    enum Word {
        case applied(ApplyReport.Applied, runId: String)
        case alreadyApplied(runId: String)
        case skipped(ApplyReport.Skipped, runId: String)
    }

    let reports: [Report]
    /// Files in runs/ that are not reports of this plan, with the reason.
    let rejected: [String]

    static func read(_ bundle: PlanBundle) -> BundleRuns {
        let directory = "\(bundle.path)/\(BundleRuns.directory)"
        let manager = FileManager.default
        let names = ((try? manager.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        var reports: [Report] = []
        var rejected: [String] = []
        for name in names {
            let path = "\(directory)/\(name)"
            guard let data = manager.contents(atPath: path), let report = try? CanonicalJSON.decode(ApplyReport.self, from: data) else {
                rejected.append("runs/\(name) is not a remedy apply report")
                continue
            }
            guard report.planDigest == bundle.digest else {
                rejected.append("runs/\(name) reports a run of another plan (\(report.planDigest.prefix(16))…)")
                continue
            }
            let modified = (try? manager.attributesOfItem(atPath: path)[.modificationDate] as? Date).map { Timestamp(date: $0).description }
            reports.append(Report(report: report, orderKey: report.startedAt ?? modified ?? ""))
        }
        reports.sort { ($0.orderKey, $0.report.runId) < ($1.orderKey, $1.report.runId) }
        return BundleRuns(reports: reports, rejected: rejected)
    }

    /// Per user id: the run that applied the line, if any; else the latest run's word.
    func words() -> [String: Word] {
        var applied: [String: Word] = [:]
        var latest: [String: Word] = [:]
        for entry in reports {
            let runId = entry.report.runId
            for line in entry.report.applied where applied[line.userId] == nil {
                applied[line.userId] = .applied(line, runId: runId)
            }
            for userId in entry.report.alreadyApplied { latest[userId] = .alreadyApplied(runId: runId) }
            for line in entry.report.skipped { latest[line.userId] = .skipped(line, runId: runId) }
        }
        return latest.merging(applied) { _, appliedWord in appliedWord }
    }
}
