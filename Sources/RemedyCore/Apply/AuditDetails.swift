import Foundation
import Rupiah

/// The audit row of a line apply did not apply, and why.
struct SkipDetails: Encodable {
    let reason: ApplyReport.Skipped.Reason
    let plannedExcess: Money
    let currentExcess: Money?
    let currentBalance: Money?
    let idempotencyKey: String
}

/// The audit row of one correction: who, why, before, after, under which plan.
struct CorrectionDetails: Encodable {
    let job: String
    let runId: String
    let before: Money
    let after: Money
    let delta: Money
    let excess: Money
    let receivable: Money
    let entries: [String]
    let idempotencyKey: String
    let reason: String
    let evidence: Decomposition
    let approvers: [String]
    let reverts: String?
    /// `evidence` already encoded (PreparedBatch): written as is, not encoded again.
    let evidenceJSON: [UInt8]?
    /// Every member after `before` already written (PreparedBatch, ahead of the row locks).
    let membersAfterBalances: [UInt8]?

    private enum CodingKeys: String, CodingKey {
        case job, runId, before, after, delta, excess, receivable, entries, idempotencyKey, reason, evidence, approvers, reverts
    }

    init(line: AdjustmentLine, before: Money, after: Money, runId: String, approvers: [String], job: String, reverts: String?) {
        self.init(line: line, evidenceJSON: nil, reason: CorrectionDetails.reason(of: line, reverts: reverts), before: before, after: after,
                  runId: runId, approvers: approvers, job: job, reverts: reverts, membersAfterBalances: nil)
    }

    /// Apply's: the line as PreparedBatch wrote it ahead, with the balances read under the lock.
    init(prepared: PreparedBatch.Line, of batch: PreparedBatch, before: Money, after: Money, approvers: [String]) {
        self.init(line: prepared.line, evidenceJSON: prepared.evidence, reason: prepared.reason, before: before, after: after,
                  runId: batch.runId, approvers: approvers, job: batch.job, reverts: batch.reverts,
                  membersAfterBalances: prepared.membersAfterBalances)
    }

    /// What PreparedBatch writes ahead for a line: every member after `before`.
    static func membersAfterBalances(line: AdjustmentLine, evidenceJSON: [UInt8], reason: String, runId: String, job: String,
                                     reverts: String?) -> [UInt8] {
        let details = CorrectionDetails(line: line, evidenceJSON: evidenceJSON, reason: reason, before: .zero, after: .zero, runId: runId,
                                        approvers: [], job: job, reverts: reverts, membersAfterBalances: nil)
        return CanonicalJSONWriter.members { details.writeMembersAfterBalances(to: &$0) }
    }

    private init(line: AdjustmentLine, evidenceJSON: [UInt8]?, reason: String, before: Money, after: Money, runId: String,
                 approvers: [String], job: String, reverts: String?, membersAfterBalances: [UInt8]?) {
        self.job = job
        self.runId = runId
        self.before = before
        self.after = after
        self.delta = line.delta
        self.excess = line.excess
        self.receivable = line.receivable
        self.entries = reverts == nil ? ["discovered", "reversal"] : ["revert"]
        self.idempotencyKey = line.idempotencyKey
        self.reason = reason
        self.reverts = reverts
        self.evidence = line.attribution
        self.evidenceJSON = evidenceJSON
        self.approvers = approvers
        self.membersAfterBalances = membersAfterBalances
    }

    static func reason(of line: AdjustmentLine, reverts: String?) -> String {
        reverts.map { "revert of plan \($0): puts back what it took" }
            ?? line.attribution.families.map(\.reason).joined(separator: "; ") + ": " + line.attribution.shortText
    }
}
