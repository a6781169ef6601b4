import Dispatch
import Foundation
import Postgres

/// A batch of plan lines with what apply writes for each that does not depend on the balances it
/// reads under the lock: the evidence's canonical JSON (booked on the entry and quoted in the audit
/// row: plan.json's own bytes, not encoded again) and the audit row's members after the balances.
/// Prepared before the batch's transaction begins, so its row locks are held only for the
/// database's work.
struct PreparedBatch: Sendable {
    struct Line: Sendable {
        let line: AdjustmentLine
        /// `line.attribution` as canonical JSON.
        let evidence: [UInt8]
        let reason: String
        /// The audit row's members after `before` (CorrectionDetails.membersAfterBalances).
        let membersAfterBalances: [UInt8]
    }

    let lines: [Line]
    /// A revert's lines (one entry each) or a correction's (two: discovered and reversal).
    let isRevert: Bool
    /// The plan a revert puts back, named in its audit rows.
    let reverts: String?
    /// The run and job, named in every audit row.
    let runId: String
    let job: String
    /// The entries' evidence column of the whole batch, in booking order: the evidence on each
    /// `discovered` (or `revert`) entry, NULL on its `reversal` (schema 8).
    private let wholeEvidenceColumn: PostgresTextArray

    /// `lines`: each with its attribution's canonical JSON (as plan.json holds it). `kind` and
    /// `reverts`: the plan's (a revert's lines book one entry; the audit row's reason names the
    /// plan reverted).
    init(_ lines: [(line: AdjustmentLine, evidence: [UInt8])], kind: Plan.Kind, reverts: String?, runId: String, job: String) throws {
        try self.init(lines: lines.map { line, evidence in
            let reason = CorrectionDetails.reason(of: line, reverts: reverts)
            return Line(line: line, evidence: evidence, reason: reason,
                        membersAfterBalances: CorrectionDetails.membersAfterBalances(line: line, evidenceJSON: evidence, reason: reason,
                                                                                     runId: runId, job: job, reverts: reverts))
        }, isRevert: kind == .revert, reverts: reverts, runId: runId, job: job)
    }

    private init(lines: [Line], isRevert: Bool, reverts: String?, runId: String, job: String) throws {
        self.lines = lines
        self.isRevert = isRevert
        self.reverts = reverts
        self.runId = runId
        self.job = job
        self.wholeEvidenceColumn = try PreparedBatch.evidenceColumn(of: lines, isRevert: isRevert)
    }

    /// One line of the batch as a batch of its own (the line-by-line fallback).
    func single(_ index: Int) throws -> PreparedBatch {
        try PreparedBatch(lines: [lines[index]], isRevert: isRevert, reverts: reverts, runId: runId, job: job)
    }

    /// The evidence column of the entries of `booked`, the batch's lines still to book (in order):
    /// the one rendered ahead when that is all of them, the usual case.
    func evidenceColumn(of booked: [Line]) throws -> PostgresTextArray {
        booked.count == lines.count ? wholeEvidenceColumn : try PreparedBatch.evidenceColumn(of: booked, isRevert: isRevert)
    }

    private static func evidenceColumn(of lines: [Line], isRevert: Bool) throws -> PostgresTextArray {
        try PostgresTextArray(lines.flatMap { line -> [String?] in
            let evidence = String(decoding: line.evidence, as: UTF8.self)
            return isRevert ? [evidence] : [evidence, nil]
        })
    }
}

/// The next batch, prepared on another thread while the current one is in the database: decoding
/// plan lines and writing their audit rows' members is much of apply's own CPU, and the server is
/// idle while the client does it. At most one batch is ever ahead (bounded memory: two batches of
/// lines).
final class BatchPrefetch: @unchecked Sendable {
    private let queue = DispatchQueue(label: "remedy.apply.prepare")
    private let make: @Sendable (Range<Int>) throws -> PreparedBatch
    private var pending: (range: Range<Int>, batch: BackgroundResult<Result<PreparedBatch, Error>>)?

    init(_ make: @escaping @Sendable (Range<Int>) throws -> PreparedBatch) {
        self.make = make
    }

    /// Starts preparing `range` (nothing if it is empty).
    func start(_ range: Range<Int>) {
        precondition(pending == nil, "one batch ahead at most")
        guard !range.isEmpty else { return }
        let make = self.make
        pending = (range, BackgroundResult(on: queue) { Result { try make(range) } })
    }

    /// The batch `range`: the one started, waited for; prepared here if another was started.
    func take(_ range: Range<Int>) throws -> PreparedBatch {
        guard let started = pending else { return try make(range) }
        pending = nil
        let prepared = started.batch.wait()
        guard started.range == range else { return try make(range) }
        return try prepared.get()
    }

    deinit {
        // A batch still being prepared reads plan.json: let it finish before the Applier is gone.
        pending?.batch.wait()
    }
}
