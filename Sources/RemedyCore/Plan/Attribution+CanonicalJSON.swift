import Foundation
import Rupiah

// An attribution (a line's evidence) as CanonicalJSONWriter writes it: keys in sorted snake_case
// order, the same bytes as CanonicalJSON.encode; and as a plan line's reader reads it back.

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

extension Decomposition {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = CanonicalJSONMembers(node), let topUps = m.array("top_ups", TopUpAttribution.init(node:)),
              let purchases = m.array("purchases", PurchaseAttribution.init(node:)), let total = m.money("total"),
              let classification = m.array("classification", { node -> SignatureKind? in
                  guard case .string(let raw) = node else { return nil }
                  return SignatureKind(rawValue: raw)
              }) else { return nil }
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

extension TopUpAttribution {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = CanonicalJSONMembers(node), let transactionId = m.string("transaction_id"), let reference = m.string("reference"),
              let paidAt = m.string("paid_at"), let amount = m.money("amount"), let amountReceived = m.money("amount_received"),
              let handlerRuns = m.int("handler_runs"), let triggerRefires = m.int("trigger_refires"),
              let lostPurchases = m.array("lost_purchases", LostPurchaseCandidate.init(node:)),
              let contribution = m.money("contribution") else { return nil }
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

extension LostPurchaseCandidate {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = CanonicalJSONMembers(node), let transactionId = m.string("transaction_id"), let completedAt = m.string("completed_at"),
              let amount = m.money("amount"), let afterReference = m.string("after_reference") else { return nil }
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

extension PurchaseAttribution {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = CanonicalJSONMembers(node), let transactionId = m.string("transaction_id"), let status = m.string("status"),
              let amount = m.money("amount"), let kind = m.string("kind").flatMap(SignatureKind.init(rawValue:)),
              let contribution = m.money("contribution") else { return nil }
        self.init(transactionId: transactionId, status: status, amount: amount, kind: kind, contribution: contribution)
    }
}
