import Foundation
import Rupiah

// The plan's lines as CanonicalJSONWriter writes them: keys in sorted snake_case order, the same
// bytes as CanonicalJSON.encode (CanonicalJSONWriterTests compare the two). Beside each writer, its
// reader (CanonicalJSONReadable), which reads the members in the same order and accepts only these
// bytes.

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
    init?(members m: inout CanonicalJSONReader.Members) {
        var attributionBytes: Range<Int>?
        self.init(members: &m, attributionBytes: &attributionBytes)
    }

    /// The line, and where its attribution's bytes lie in what is read: apply books them as
    /// the entry's evidence as they are, the very bytes that were signed (they are the attribution's
    /// canonical encoding, so nothing is encoded again).
    init?(members m: inout CanonicalJSONReader.Members, attributionBytes: inout Range<Int>?) {
        guard let ambiguous = m.bool("ambiguous"),
              let attribution = m.member("attribution", { reader -> Decomposition? in
                  let start = reader.offset
                  defer { attributionBytes = start..<reader.offset }
                  return Decomposition(reading: &reader)
              }),
              let balance = m.money("balance"), let balanceAfter = m.money("balance_after"), let contact = m.optionalString("contact"),
              let decompositions = m.int("decompositions"), let delta = m.money("delta"), let excess = m.money("excess"),
              let idempotencyKey = m.string("idempotency_key"), let label = m.string("label"), let ledger = m.money("ledger"),
              let openReceivables = m.money("open_receivables"),
              let precondition = m.member("precondition", { $0.object { $0.money("excess") } }),
              let receivable = m.money("receivable"), let revertsKey = m.optionalString("reverts_key"),
              let userId = m.string("user_id") else { return nil }
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
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let acknowledged = m.optionalMember("acknowledged", Acknowledgement.init(reading:)), let balance = m.money("balance"),
              let closest = m.optionalMember("closest", Decomposition.init(reading:)), let excess = m.money("excess"),
              let explanation = m.string("explanation"), let label = m.string("label"), let ledger = m.money("ledger"),
              let openReceivables = m.money("open_receivables"), let reason = m.rawValue("reason", as: Reason.self),
              let userId = m.string("user_id") else { return nil }
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

extension Acknowledgement: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let at = m.string("at"), let by = m.string("by"), let reason = m.string("reason") else { return nil }
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
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let candidateTopUps = m.int("candidate_top_ups"), let label = m.string("label"), let note = m.string("note"),
              let userId = m.string("user_id") else { return nil }
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
