import Foundation
import Rupiah

// Apply's audit rows' details as CanonicalJSONWriter writes them (one per line applied or skipped):
// keys in sorted snake_case order, the same bytes as CanonicalJSON.encode.

extension CorrectionDetails: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("after", after)
            o.member("approvers") { $0.array(approvers) { $0.string($1) } }
            o.member("before", before)
            if let membersAfterBalances { o.written(membersAfterBalances) } else { writeMembersAfterBalances(to: &o) }
        }
    }

    /// Every member after `before`, in key order. None depends on the balances apply reads under
    /// its row locks, so apply writes them ahead of the batch (PreparedBatch).
    func writeMembersAfterBalances(to o: inout CanonicalJSONWriter.ObjectWriter) {
        o.member("delta", delta)
        o.member("entries") { $0.array(entries) { $0.string($1) } }
        if let evidenceJSON { o.member("evidence") { $0.raw(evidenceJSON) } } else { o.member("evidence", evidence) }
        o.member("excess", excess)
        o.member("idempotency_key", idempotencyKey)
        o.member("job", job)
        o.member("reason", reason)
        o.member("receivable", receivable)
        o.member("reverts", ifPresent: reverts) { $0.string($1) }
        o.member("run_id", runId)
    }
}

extension SkipDetails: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("current_balance", ifPresent: currentBalance) { $0.money($1) }
            o.member("current_excess", ifPresent: currentExcess) { $0.money($1) }
            o.member("idempotency_key", idempotencyKey)
            o.member("planned_excess", plannedExcess)
            o.member("reason", reason.rawValue)
        }
    }
}
