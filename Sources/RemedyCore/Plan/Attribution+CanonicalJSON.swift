import Foundation
import Rupiah

// An attribution (a line's evidence) as CanonicalJSONWriter writes it: keys in sorted snake_case
// order, the same bytes as CanonicalJSON.encode.

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
