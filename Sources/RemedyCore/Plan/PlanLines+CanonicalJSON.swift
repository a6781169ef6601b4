import Foundation
import Rupiah

// The plan's lines as CanonicalJSONWriter writes them: keys in sorted snake_case order, the same
// bytes as CanonicalJSON.encode (CanonicalJSONWriterTests compare the two). Beside each writer, its
// reader (CanonicalJSONReadable): what PlanBundle's reader makes of a line before writing it again
// and comparing the bytes.

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

extension AdjustmentLine: CanonicalJSONReadable {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = CanonicalJSONMembers(node), let userId = m.string("user_id"), let label = m.string("label"), let contact = m.optionalString("contact"),
              let balance = m.money("balance"), let ledger = m.money("ledger"), let openReceivables = m.money("open_receivables"),
              let excess = m.money("excess"), let delta = m.money("delta"), let receivable = m.money("receivable"),
              let balanceAfter = m.money("balance_after"), let attribution = m.node("attribution").flatMap(Decomposition.init(node:)),
              let decompositions = m.int("decompositions"), let ambiguous = m.bool("ambiguous"),
              let precondition = m.node("precondition").flatMap(CanonicalJSONMembers.init).flatMap({ $0.money("excess") }),
              let idempotencyKey = m.string("idempotency_key"), let revertsKey = m.optionalString("reverts_key") else { return nil }
        self.init(userId: userId, label: label, contact: contact, balance: balance, ledger: ledger, openReceivables: openReceivables,
                  excess: excess, delta: delta, receivable: receivable, balanceAfter: balanceAfter, attribution: attribution,
                  decompositions: decompositions, ambiguous: ambiguous, precondition: Precondition(excess: precondition),
                  idempotencyKey: idempotencyKey, revertsKey: revertsKey)
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

extension HeldLine: CanonicalJSONReadable {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = CanonicalJSONMembers(node), let userId = m.string("user_id"), let label = m.string("label"),
              let balance = m.money("balance"), let ledger = m.money("ledger"), let openReceivables = m.money("open_receivables"),
              let excess = m.money("excess"), let reason = m.string("reason").flatMap(Reason.init(rawValue:)),
              let explanation = m.string("explanation"), let closest = m.optional("closest", Decomposition.init(node:)),
              let acknowledged = m.optional("acknowledged", Acknowledgement.init(node:)) else { return nil }
        self.init(userId: userId, label: label, balance: balance, ledger: ledger, openReceivables: openReceivables, excess: excess,
                  reason: reason, explanation: explanation, closest: closest, acknowledged: acknowledged)
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

extension Acknowledgement {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = CanonicalJSONMembers(node), let by = m.string("by"), let at = m.string("at"), let reason = m.string("reason") else { return nil }
        self.init(by: by, at: at, reason: reason)
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

extension SettledLine: CanonicalJSONReadable {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = CanonicalJSONMembers(node), let userId = m.string("user_id"), let label = m.string("label"),
              let candidateTopUps = m.int("candidate_top_ups"), let note = m.string("note") else { return nil }
        self.init(userId: userId, label: label, candidateTopUps: candidateTopUps, note: note)
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
