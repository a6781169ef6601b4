import Rupiah

// A gateway check as plan.json's `gateway_checks` array holds it: keys in sorted snake_case order,
// the bytes CanonicalJSON.encode gives (CanonicalJSONWriterTests compare the two), and beside the
// writer its reader (the same order, only these bytes).

extension GatewayReferenceCheck: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("amount_received", ifPresent: amountReceived) { $0.money($1) }
            o.member("reason", ifPresent: reason) { $0.string($1) }
            o.member("reference", reference)
            o.member("sha256", ifPresent: sha256) { $0.string($1) }
            o.member("shop_status", shopStatus)
            o.member("transaction_id", transactionId)
            o.member("user_id", userId)
            o.member("verdict", verdict.rawValue)
        }
    }
}

extension GatewayReferenceCheck: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let amountReceived = m.optionalMoney("amount_received"), let reason = m.optionalString("reason"),
              let reference = m.string("reference"), let sha256 = m.optionalString("sha256"), let shopStatus = m.string("shop_status"),
              let transactionId = m.string("transaction_id"), let userId = m.string("user_id"),
              let verdict = m.rawValue("verdict", as: Verdict.self) else { return nil }
        self.init(reference: reference, userId: userId, transactionId: transactionId, shopStatus: shopStatus, verdict: verdict,
                  reason: reason, amountReceived: amountReceived, sha256: sha256)
    }
}
