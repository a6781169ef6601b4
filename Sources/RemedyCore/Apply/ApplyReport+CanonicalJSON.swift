import Foundation
import Rupiah

// The run report as CanonicalJSONWriter writes it, streamed to its file a megabyte at a time; and
// its lines as export reads them back one at a time (RunReportReading), written again and compared.

extension ApplyReport: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        write(to: &writer, drain: nil)
    }

    /// With `drain`, the applied lines are handed on every megabyte or so instead of being held.
    func write(to writer: inout CanonicalJSONWriter, drain: (([UInt8]) -> Void)?) {
        writer.object { o in
            o.member("already_applied") { $0.array(alreadyApplied) { $0.string($1) } }
            o.member("applied") { w in
                w.array(applied) { w, line in
                    line.write(to: &w)
                    if let drain, w.bytes.count >= 1 << 20 { w.drain(into: drain) }
                }
            }
            o.member("approvers") { $0.array(approvers) { $0.string($1) } }
            o.member("audit_head", auditHead)
            o.member("finished_at", ifPresent: finishedAt) { $0.string($1) }
            o.member("job", job)
            o.member("operator_name", operatorName)
            o.member("plan_digest", planDigest)
            o.member("receivables_opened", receivablesOpened)
            o.member("run_id", runId)
            o.member("signed_audit_head", ifPresent: signedAuditHead) { $1.write(to: &$0) }
            o.member("skipped", skipped)
            o.member("started_at", ifPresent: startedAt) { $0.string($1) }
            o.member("taken_back", takenBack)
        }
    }

    /// Writes the report's canonical JSON to `path` (via a temporary file beside it, renamed into
    /// place) a megabyte at a time: the whole document is never held.
    func writeCanonical(toFile path: String) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw RemedyError(.io, "cannot create \(temporary)")
        }
        var failure: Error?
        var writer = CanonicalJSONWriter(capacity: 1 << 20)
        let drain: ([UInt8]) -> Void = { bytes in
            guard failure == nil else { return }
            do { try handle.write(contentsOf: bytes) } catch { failure = error }
        }
        write(to: &writer, drain: drain)
        writer.drain(into: drain)
        try? handle.close()
        if let failure {
            try? FileManager.default.removeItem(atPath: temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw RemedyError(.io, "cannot move \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
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
    init?(node: CanonicalJSONReader.Node) {
        guard let m = CanonicalJSONMembers(node), let userId = m.string("user_id"), let label = m.string("label"),
              let balanceBefore = m.money("balance_before"), let balanceAfter = m.money("balance_after"),
              let delta = m.money("delta"), let receivable = m.money("receivable") else { return nil }
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
    init?(node: CanonicalJSONReader.Node) {
        guard let m = CanonicalJSONMembers(node), let userId = m.string("user_id"), let label = m.string("label"),
              let reason = m.string("reason").flatMap(Reason.init(rawValue:)), let plannedExcess = m.money("planned_excess"),
              let currentExcess = m.optionalMoney("current_excess"),
              let currentBalance = m.optionalMoney("current_balance") else { return nil }
        self.init(userId: userId, label: label, reason: reason, plannedExcess: plannedExcess, currentExcess: currentExcess, currentBalance: currentBalance)
    }
}
