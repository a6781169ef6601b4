import Rupiah

// An export line as CanonicalJSONWriter writes it: the bytes CanonicalJSON.encode gives (keys in
// sorted snake_case order, nil members left out). `export --format json` writes a line per user:
// through JSONEncoder that was about half of its CPU (300,000 users). CanonicalJSONWriterTests and
// ExportStreamingTests hold the two to the same bytes.
extension ExportLine: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("balance", ifPresent: balance) { $0.money($1) }
            o.member("balance_after", ifPresent: balanceAfter) { $0.money($1) }
            o.member("balance_before", ifPresent: balanceBefore) { $0.money($1) }
            o.member("booked_by_plan", ifPresent: bookedByPlan) { $0.string($1) }
            o.member("contact", ifPresent: contact) { $0.string($1) }
            o.member("current_excess", ifPresent: currentExcess) { $0.money($1) }
            o.member("decompositions", decompositions)
            o.member("delta", delta)
            o.member("evidence", evidence)
            o.member("evidence_text", evidenceText)
            o.member("excess", excess)
            o.member("idempotency_key", ifPresent: idempotencyKey) { $0.string($1) }
            o.member("label", label)
            o.member("ledger", ifPresent: ledger) { $0.money($1) }
            o.member("open_receivables", ifPresent: openReceivables) { $0.money($1) }
            o.member("outcome", outcome.rawValue)
            o.member("planned_delta", plannedDelta)
            o.member("reason", reason)
            o.member("reason_code", reasonCode)
            o.member("receivable", receivable)
            o.member("run_id", ifPresent: runId) { $0.string($1) }
            o.member("section", section.rawValue)
            o.member("user_id", userId)
        }
    }
}
