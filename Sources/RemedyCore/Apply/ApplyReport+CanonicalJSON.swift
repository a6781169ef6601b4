import Foundation
import Rupiah

// The run report as CanonicalJSONWriter writes it: its fields, with each line section written by
// the caller (RunReportSpool replays its spooled lines there; an empty section is `[]`); and its
// lines as export reads them back one at a time (RunReportReading), in canonical form only.

extension ApplyReport {
    /// The report's canonical JSON; `section` writes each line array (brackets included) in its place.
    func write(to writer: inout CanonicalJSONWriter, section: (RunReportSpool.Section, inout CanonicalJSONWriter) -> Void) {
        writer.object { o in
            o.member("already_applied") { section(.alreadyApplied, &$0) }
            o.member("applied") { section(.applied, &$0) }
            o.member("approvers") { $0.array(approvers) { $0.string($1) } }
            o.member("audit_head", auditHead)
            o.member("finished_at", ifPresent: finishedAt) { $0.string($1) }
            o.member("job", job)
            o.member("operator_name", operatorName)
            o.member("plan_digest", planDigest)
            o.member("receivables_opened", receivablesOpened)
            o.member("run_id", runId)
            o.member("signed_audit_head", ifPresent: signedAuditHead) { $1.write(to: &$0) }
            o.member("skipped") { section(.skipped, &$0) }
            o.member("started_at", ifPresent: startedAt) { $0.string($1) }
            o.member("taken_back", takenBack)
        }
    }
}

extension ApplyReport: CanonicalJSONReadable {
    /// The report's fields from its skeleton (every line section `[]`, as RunReportReading's walk
    /// leaves it); `counts` and `path` are the reader's to fill.
    init?(members m: inout CanonicalJSONReader.Members) {
        guard m.emptyArray("already_applied"), m.emptyArray("applied"), let approvers = m.strings("approvers"),
              let auditHead = m.string("audit_head"), let finishedAt = m.optionalString("finished_at"), let job = m.string("job"),
              let operatorName = m.string("operator_name"), let planDigest = m.string("plan_digest"),
              let receivablesOpened = m.money("receivables_opened"), let runId = m.string("run_id"),
              let signedAuditHead = m.optionalMember("signed_audit_head", SignedAuditHead.init(reading:)), m.emptyArray("skipped"),
              let startedAt = m.optionalString("started_at"), let takenBack = m.money("taken_back") else { return nil }
        self.init(runId: runId, planDigest: planDigest, job: job, operatorName: operatorName, approvers: approvers,
                  startedAt: startedAt, finishedAt: finishedAt)
        self.auditHead = auditHead
        self.signedAuditHead = signedAuditHead
        self.receivablesOpened = receivablesOpened
        self.takenBack = takenBack
    }
}

extension ApplyReport.Applied: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("balance_after", balanceAfter)
            o.member("balance_before", balanceBefore)
            o.member("delta", delta)
            o.member("label", label)
            o.member("receivable", receivable)
            o.member("user_id", userId)
        }
    }
}

extension ApplyReport.Applied: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let balanceAfter = m.money("balance_after"), let balanceBefore = m.money("balance_before"), let delta = m.money("delta"),
              let label = m.string("label"), let receivable = m.money("receivable"), let userId = m.string("user_id") else { return nil }
        self.init(userId: userId, label: label, balanceBefore: balanceBefore, balanceAfter: balanceAfter, delta: delta, receivable: receivable)
    }
}

extension ApplyReport.Skipped: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("current_balance", ifPresent: currentBalance) { $0.money($1) }
            o.member("current_excess", ifPresent: currentExcess) { $0.money($1) }
            o.member("label", label)
            o.member("planned_excess", plannedExcess)
            o.member("reason", reason.rawValue)
            o.member("user_id", userId)
        }
    }
}

extension ApplyReport.Skipped: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let currentBalance = m.optionalMoney("current_balance"), let currentExcess = m.optionalMoney("current_excess"),
              let label = m.string("label"), let plannedExcess = m.money("planned_excess"), let reason = m.rawValue("reason", as: Reason.self),
              let userId = m.string("user_id") else { return nil }
        self.init(userId: userId, label: label, reason: reason, plannedExcess: plannedExcess, currentExcess: currentExcess,
                  currentBalance: currentBalance)
    }
}
