import Foundation
import Rupiah

/// The apply reports in a bundle's `runs/`, oldest first, and what they say per user line.
///
/// The rule: a line applied by any run is applied (the book takes a correction once, so no later
/// run can undo or repeat it; a later run's "already applied" confirms it). Otherwise the latest
/// run that mentions the line has the last word (stale, skipped, already applied elsewhere).
///
/// Read a line at a time (RunReportReading): what each line says is kept in `RunWords`, about
/// 100 bytes a line, not the reports themselves.
struct BundleRuns {
    static let directory = "runs"

    struct Report {
        /// The report (its lines counted, not held).
        let report: ApplyReport
        /// startedAt, or the file's modification time for reports written before it existed.
        let orderKey: String
    }

    /// What an applied line's report says moved.
    struct Booked {
        let balanceBefore: Money
        let balanceAfter: Money
        let delta: Money
        let receivable: Money
    }

    /// Why a report says a line was skipped, and what apply found.
    struct Skip {
        let reason: ApplyReport.Skipped.Reason
        let currentExcess: Money?
        let currentBalance: Money?
    }

    enum Word {
        case applied(Booked, runId: String)
        case alreadyApplied(runId: String)
        case skipped(Skip, runId: String)
    }

    let reports: [Report]
    /// Files in runs/ that are not reports of this plan, with the reason.
    let rejected: [String]
    private let words: RunWords

    static func read(_ bundle: PlanBundle) -> BundleRuns {
        let directory = "\(bundle.path)/\(BundleRuns.directory)"
        let manager = FileManager.default
        let names = ((try? manager.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        var reports: [Report] = []
        var rejected: [String] = []
        var words = RunWords()
        words.reserve(lines: names.reduce(0) { $0 + (RunReportReading.countLines(path: "\(directory)/\($1)") ?? 0) })
        for name in names {
            let path = "\(directory)/\(name)"
            let mark = words.mark()
            let reportIndex = reports.count
            let read = RunReportReading.read(path: path) { line in words.add(line, report: reportIndex) }
            guard let report = read else {
                words.rewind(to: mark)
                rejected.append("runs/\(name) is not a remedy apply report")
                continue
            }
            guard report.planDigest == bundle.digest else {
                words.rewind(to: mark)
                rejected.append("runs/\(name) reports a run of another plan (\(report.planDigest.prefix(16))…)")
                continue
            }
            let modified = (try? manager.attributesOfItem(atPath: path)[.modificationDate] as? Date).map { Timestamp(date: $0).description }
            reports.append(Report(report: report, orderKey: report.startedAt ?? modified ?? ""))
        }
        let order = reports.indices.sorted { (reports[$0].orderKey, reports[$0].report.runId) < (reports[$1].orderKey, reports[$1].report.runId) }
        words.finish(reportOrder: order)
        return BundleRuns(reports: order.map { reports[$0] }, rejected: rejected, words: words)
    }

    /// The run that applied the user's line, if any; else the latest run's word.
    func word(for userId: String) -> Word? {
        words.word(for: userId).map { said, report in
            let runId = reports[report].report.runId
            switch said {
            case .applied(let booked): return .applied(booked, runId: runId)
            case .alreadyApplied: return .alreadyApplied(runId: runId)
            case .skipped(let skip): return .skipped(skip, runId: runId)
            }
        }
    }
}

/// Every line of every report as a small fixed record (no strings: the user ids are kept once, in
/// one byte buffer), sorted by user id, then run (oldest first), then place in the report; a user's
/// word is then found by binary search.
private struct RunWords {
    enum Said {
        case applied(BundleRuns.Booked)
        case alreadyApplied
        case skipped(BundleRuns.Skip)
    }

    private struct Record {
        let idStart: UInt32
        let idCount: UInt32
        /// The report's index as read, then (`finish`) its place among the reports, oldest first.
        var report: UInt32
        /// The line's place in its report: already applied, then applied, then skipped (the file's order).
        let sequence: UInt32
        let said: Said
    }

    private var ids: [UInt8] = []
    private var records: [Record] = []
    private var sequence: UInt32 = 0

    /// Made once at its size: grown by doubling, the old and the new array were held at once (22 MB at 1M users).
    mutating func reserve(lines: Int) {
        records.reserveCapacity(lines)
    }

    func mark() -> (ids: Int, records: Int) { (ids.count, records.count) }

    /// Forgets the lines of a report found not to be one after all.
    mutating func rewind(to mark: (ids: Int, records: Int)) {
        ids.removeSubrange(mark.ids...)
        records.removeSubrange(mark.records...)
    }

    mutating func add(_ line: ApplyReport.Line, report: Int) {
        let userId: String
        let said: Said
        switch line {
        case .alreadyApplied(let id):
            userId = id
            said = .alreadyApplied
        case .applied(let applied):
            userId = applied.userId
            said = .applied(BundleRuns.Booked(balanceBefore: applied.balanceBefore, balanceAfter: applied.balanceAfter,
                                              delta: applied.delta, receivable: applied.receivable))
        case .skipped(let skipped):
            userId = skipped.userId
            said = .skipped(BundleRuns.Skip(reason: skipped.reason, currentExcess: skipped.currentExcess, currentBalance: skipped.currentBalance))
        }
        let start = ids.count
        ids.append(contentsOf: userId.utf8)
        records.append(Record(idStart: UInt32(start), idCount: UInt32(ids.count - start), report: UInt32(report), sequence: sequence, said: said))
        sequence += 1
    }

    /// `reportOrder[place]` is the index (as read) of the report at that place, oldest first.
    mutating func finish(reportOrder: [Int]) {
        var place = [UInt32](repeating: 0, count: reportOrder.count)
        for (at, index) in reportOrder.enumerated() { place[index] = UInt32(at) }
        for index in records.indices { records[index].report = place[Int(records[index].report)] }
        ids.withUnsafeBufferPointer { ids in
            records.sort { a, b in
                let byId = Self.compare(ids, a, ids, b)
                if byId != 0 { return byId < 0 }
                return (a.report, a.sequence) < (b.report, b.sequence)
            }
        }
    }

    /// The first run's `applied`, else the last word of the latest run; with the report's place.
    func word(for userId: String) -> (Said, report: Int)? {
        var key = userId
        return key.withUTF8 { wanted in
            ids.withUnsafeBufferPointer { ids in
                var low = 0
                var high = records.count
                while low < high {
                    let middle = (low + high) / 2
                    if Self.compare(ids, records[middle], wanted) < 0 { low = middle + 1 } else { high = middle }
                }
                var latest: Record?
                var index = low
                while index < records.count, Self.compare(ids, records[index], wanted) == 0 {
                    if case .applied = records[index].said { return (records[index].said, Int(records[index].report)) }
                    latest = records[index]
                    index += 1
                }
                return latest.map { ($0.said, Int($0.report)) }
            }
        }
    }

    private static func bytes(_ ids: UnsafeBufferPointer<UInt8>, _ record: Record) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: ids[Int(record.idStart) ..< Int(record.idStart) + Int(record.idCount)])
    }

    private static func compare(_ ids: UnsafeBufferPointer<UInt8>, _ a: Record, _ otherIds: UnsafeBufferPointer<UInt8>, _ b: Record) -> Int {
        compare(bytes(ids, a), bytes(otherIds, b))
    }

    private static func compare(_ ids: UnsafeBufferPointer<UInt8>, _ record: Record, _ wanted: UnsafeBufferPointer<UInt8>) -> Int {
        compare(bytes(ids, record), wanted)
    }

    /// Byte order, a shorter prefix first.
    private static func compare(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let common = min(a.count, b.count)
        if common > 0, let x = a.baseAddress, let y = b.baseAddress {
            let result = memcmp(x, y, common)
            if result != 0 { return Int(result) }
        }
        return a.count - b.count
    }
}
