import Foundation
import Rupiah

// An attribution (a line's evidence) as CanonicalJSONWriter writes it: keys in sorted snake_case
// order, the same bytes as CanonicalJSON.encode; and as a plan line's reader reads it back, in the
// same order.

extension Decomposition: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("classification") { $0.array(classification) { $0.string($1.rawValue) } }
            o.member("purchases", purchases)
            o.member("top_ups", topUps)
            o.member("total", total)
        }
    }
}

extension Decomposition: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let classification = m.member("classification", { $0.array { $0.rawValue(as: SignatureKind.self) } }),
              let purchases = m.member("purchases", { $0.array(PurchaseAttribution.init(reading:)) }),
              let topUps = m.member("top_ups", { $0.array(TopUpAttribution.init(reading:)) }),
              let total = m.money("total") else { return nil }
        self.init(topUps: topUps, purchases: purchases, total: total, classification: classification)
    }
}

extension TopUpAttribution: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("amount", amount)
            o.member("amount_received", amountReceived)
            o.member("contribution", contribution)
            o.member("handler_runs", handlerRuns)
            o.member("lost_purchases", lostPurchases)
            o.member("paid_at", paidAt)
            o.member("reference", reference)
            o.member("transaction_id", transactionId)
            o.member("trigger_refires", triggerRefires)
        }
    }
}

extension TopUpAttribution: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let amount = m.money("amount"), let amountReceived = m.money("amount_received"), let contribution = m.money("contribution"),
              let handlerRuns = m.int("handler_runs"),
              let lostPurchases = m.member("lost_purchases", { $0.array(LostPurchaseCandidate.init(reading:)) }),
              let paidAt = m.string("paid_at"), let reference = m.string("reference"), let transactionId = m.string("transaction_id"),
              let triggerRefires = m.int("trigger_refires") else { return nil }
        self.init(transactionId: transactionId, reference: reference, paidAt: paidAt, amount: amount, amountReceived: amountReceived,
                  handlerRuns: handlerRuns, triggerRefires: triggerRefires, lostPurchases: lostPurchases, contribution: contribution)
    }
}

extension LostPurchaseCandidate: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("after_reference", afterReference)
            o.member("amount", amount)
            o.member("completed_at", completedAt)
            o.member("transaction_id", transactionId)
        }
    }
}

extension LostPurchaseCandidate: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let afterReference = m.string("after_reference"), let amount = m.money("amount"), let completedAt = m.string("completed_at"),
              let transactionId = m.string("transaction_id") else { return nil }
        self.init(transactionId: transactionId, completedAt: completedAt, amount: amount, afterReference: afterReference)
    }
}

extension PurchaseAttribution: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("amount", amount)
            o.member("contribution", contribution)
            o.member("kind", kind.rawValue)
            o.member("status", status)
            o.member("transaction_id", transactionId)
        }
    }
}

extension PurchaseAttribution: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let amount = m.money("amount"), let contribution = m.money("contribution"), let kind = m.rawValue("kind", as: SignatureKind.self),
              let status = m.string("status"), let transactionId = m.string("transaction_id") else { return nil }
        self.init(transactionId: transactionId, status: status, amount: amount, kind: kind, contribution: contribution)
    }
}
