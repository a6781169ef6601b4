import Foundation
import Postgres
import TestSupport

/// A fake Tripay gateway that knows this shop's top-ups as Tripay would (its truth: what each
/// callback said), and a jobs directory whose `gateway:` points at it.
extension EndToEndShop {
    static let gatewayKeyVariable = "TRIPAY_API_KEY"

    /// Every top-up with a reference, as Tripay's callbacks told the shop: their status (PAID where
    /// the shop completed the row, UNPAID where none came), amount_received and paid_at (its wall
    /// time read in `paidAtZone` where the shop keeps it without a zone).
    func gatewayRecords(paidAtZone: String? = nil) throws -> [FakeTripayGateway.Record] {
        let paidAt = paidAtZone == nil ? "tripay_paid_at" : "(tripay_paid_at AT TIME ZONE $1::text)"
        return try connection.query("""
            SELECT tripay_reference, COALESCE(tripay_merchant_ref, id::text),
                   COALESCE(tripay_status, CASE WHEN status = 'completed' THEN 'PAID' ELSE 'UNPAID' END),
                   amount::bigint,
                   COALESCE((tripay_callback_data->>'amount_received')::numeric, tripay_amount, 0)::bigint,
                   extract(epoch FROM \(paidAt))::bigint
              FROM transactions
             WHERE transaction_type = 'topup' AND tripay_reference IS NOT NULL
            """, paidAtZone.map { [$0] } ?? []).map { row in
            let amount = try row.decode(3, as: Int64.self)
            let received = try row.decode(4, as: Int64.self)
            return FakeTripayGateway.Record(
                reference: try row.decode(0, as: String.self), merchantRef: try row.decode(1, as: String.self),
                status: try row.decode(2, as: String.self), amount: amount, totalFee: max(0, amount - received),
                amountReceived: received, paidAt: try row.decode(5, as: Int64?.self))
        }
    }

    /// A jobs directory whose gateway is `gateway`, fast enough for a test (its rate and backoff).
    func jobsWithGateway(_ gateway: FakeTripayGateway, retries: Int = 4) throws -> JobsDirectoryCopy {
        try JobsDirectoryCopy { data in
            var text = String(decoding: data, as: UTF8.self)
            for (old, new) in [("base_url: https://tripay.co.id/api\n", "base_url: \(gateway.baseURL)\n"),
                               ("requests_per_second: 4 ", "requests_per_second: 50 "),
                               ("retries: 4 ", "retries: \(retries) "),
                               ("retry_backoff_milliseconds: 500", "retry_backoff_milliseconds: 5")] {
                precondition(text.contains(old), "job.yaml no longer has \(old)")
                text = text.replacingOccurrences(of: old, with: new)
            }
            return Data(text.utf8)
        }
    }
}
