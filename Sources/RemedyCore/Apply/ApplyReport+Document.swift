import Foundation
import Rupiah

// The run report as one JSON document: what `--json` prints, its lines read back from the report
// file. Encodable only: a report is read by RunReportReading alone, in canonical form (the tests
// keep a lenient decoder of their own, to show what that reader refuses).

extension ApplyReport {
    /// The report with the lines it holds: the document `remedy apply --json` prints (written a
    /// batch at a time by `writeJSON`, the lines never all held) and `remedy run --json` prints
    /// (a standing policy's run, read whole as its plan is).
    public struct Document: Encodable, Sendable {
        public var report: ApplyReport
        public var alreadyApplied: [String] = []
        public var applied: [Applied] = []
        public var skipped: [Skipped] = []

        public init(report: ApplyReport) {
            self.report = report
        }

        /// The report and every line of its file.
        public init(reading report: ApplyReport) throws {
            self.init(report: report)
            try report.forEachLine { line in
                switch line {
                case .alreadyApplied(let userId): alreadyApplied.append(userId)
                case .applied(let line): applied.append(line)
                case .skipped(let line): skipped.append(line)
                }
            }
        }

        private enum CodingKeys: String, CodingKey {
            case alreadyApplied, applied, approvers, auditHead, finishedAt, job, linesNotReached, operatorName, planDigest, receivablesOpened, runId,
                 signedAuditHead, skipped, startedAt, takenBack
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(alreadyApplied, forKey: .alreadyApplied)
            try c.encode(applied, forKey: .applied)
            try c.encode(report.approvers, forKey: .approvers)
            try c.encode(report.auditHead, forKey: .auditHead)
            try c.encodeIfPresent(report.finishedAt, forKey: .finishedAt)
            try c.encode(report.job, forKey: .job)
            // Only in a run stopped early (apply --json; the report file has no such key).
            if report.linesNotReached > 0 { try c.encode(report.linesNotReached, forKey: .linesNotReached) }
            try c.encode(report.operatorName, forKey: .operatorName)
            try c.encode(report.planDigest, forKey: .planDigest)
            try c.encode(report.receivablesOpened, forKey: .receivablesOpened)
            try c.encode(report.runId, forKey: .runId)
            try c.encodeIfPresent(report.signedAuditHead, forKey: .signedAuditHead)
            try c.encode(skipped, forKey: .skipped)
            try c.encodeIfPresent(report.startedAt, forKey: .startedAt)
            try c.encode(report.takenBack, forKey: .takenBack)
        }
    }

    /// Lines encoded at a time by `writeJSON`.
    public static let jsonBatchLines = 1_000

    /// Every line of the report file, in order, one at a time; refused if the file is not the
    /// report apply wrote.
    public func forEachLine(_ body: (Line) throws -> Void) throws {
        guard let path else {
            throw RemedyError(.io, "apply finished run \(runId) (\(isComplete ? "every line booked" : "not every line booked")) but could not write its report, so its lines cannot be read back here; remedy export reads them from the audit log")
        }
        var failure: Error?
        let read = RunReportReading.read(path: path) { line in
            guard failure == nil else { return }
            do { try body(line) } catch { failure = error }
        }
        if let failure { throw failure }
        guard let read, read.runId == runId else {
            throw RemedyError(.tampered, "\(path) is not run \(runId)'s report as apply wrote it; the audit log holds the run's lines (remedy export)")
        }
    }

    /// `Document(reading: self)` as `OutputJSON` prints it, written a batch of lines at a time.
    public func writeJSON(batchLines: Int = ApplyReport.jsonBatchLines, to write: @escaping (String) throws -> Void) throws {
        precondition(batchLines > 0)
        var out = try SplicedJSONWriter(skeleton: Document(report: self), write: write)
        // The file's line arrays come in the document's (sorted) key order: each is opened as its
        // first line arrives, after any empty one before it.
        let keys = ["already_applied", "applied", "skipped"]
        var opened = -1
        var batch: (ids: [String], applied: [Applied], skipped: [Skipped]) = ([], [], [])
        func flush() throws {
            try out.append(batch.ids)
            try out.append(batch.applied)
            try out.append(batch.skipped)
            batch = ([], [], [])
        }
        func enter(_ section: Int) throws {
            guard opened <= section else { throw RemedyError(.invariant, "a run report's line arrays came out of their order") }
            while opened < section {
                if opened >= 0 {
                    try flush()
                    try out.close()
                }
                opened += 1
                try out.open(keys[opened])
            }
        }
        try forEachLine { line in
            switch line {
            case .alreadyApplied(let userId):
                try enter(0)
                batch.ids.append(userId)
            case .applied(let line):
                try enter(1)
                batch.applied.append(line)
            case .skipped(let line):
                try enter(2)
                batch.skipped.append(line)
            }
            if batch.ids.count + batch.applied.count + batch.skipped.count >= batchLines { try flush() }
        }
        try enter(2)
        try flush()
        try out.close()
        try out.finish()
    }
}
