import Foundation
import Rupiah

// The plan's lines as CanonicalJSONWriter writes them: keys in sorted snake_case order, the same
// bytes as CanonicalJSON.encode (CanonicalJSONWriterTests compare the two).

extension AdjustmentLine: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("ambiguous", ambiguous)
            o.member("attribution", attribution)
            o.member("balance", balance)
            o.member("balance_after", balanceAfter)
            o.member("contact", ifPresent: contact) { $0.string($1) }
            o.member("decompositions", decompositions)
            o.member("delta", delta)
            o.member("excess", excess)
            o.member("idempotency_key", idempotencyKey)
            o.member("label", label)
            o.member("ledger", ledger)
            o.member("open_receivables", openReceivables)
            o.member("precondition", precondition)
            o.member("receivable", receivable)
            o.member("reverts_key", ifPresent: revertsKey) { $0.string($1) }
            o.member("user_id", userId)
        }
    }
}

extension Precondition: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in o.member("excess", excess) }
    }
}

extension HeldLine: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("acknowledged", ifPresent: acknowledged) { $1.write(to: &$0) }
            o.member("balance", balance)
            o.member("closest", ifPresent: closest) { $1.write(to: &$0) }
            o.member("excess", excess)
            o.member("explanation", explanation)
            o.member("label", label)
            o.member("ledger", ledger)
            o.member("open_receivables", openReceivables)
            o.member("reason", reason.rawValue)
            o.member("user_id", userId)
        }
    }
}

extension Acknowledgement: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("at", at)
            o.member("by", by)
            o.member("reason", reason)
        }
    }
}

extension SettledLine: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("candidate_top_ups", candidateTopUps)
            o.member("label", label)
            o.member("note", note)
            o.member("user_id", userId)
        }
    }
}

extension LineStrategy.Decision {
    /// The decided line's canonical JSON, as plan.json holds it; nil for `.none` (no line).
    var canonicalJSON: [UInt8]? {
        var writer = CanonicalJSONWriter()
        switch self {
        case .adjust(let line): line.write(to: &writer)
        case .hold(let line): line.write(to: &writer)
        case .settled(let line): line.write(to: &writer)
        case .none: return nil
        }
        return writer.bytes
    }
}
