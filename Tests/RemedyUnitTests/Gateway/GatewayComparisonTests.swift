import Foundation
import Rupiah
import Testing
@testable import RemedyCore

/// The comparison of a gateway answer with the shop's row, on answers a hostile or sloppy gateway
/// could send: each field that differs is named with both values, amounts are exact or refused.
@Suite("Gateway comparison")
struct GatewayComparisonTests {
    static let settings = GatewaySettings(
        kind: .tripay, baseURL: "https://tripay.co.id/api", apiKeyEnvironment: "TRIPAY_API_KEY", requestsPerSecond: 4,
        requestTimeoutSeconds: 15, retries: 4, retryBackoffMilliseconds: 500, paidAtToleranceSeconds: 300, paidStatus: "PAID",
        refundStatus: "REFUND", merchantRefColumn: nil, fields: GatewaySettings.Fields())
    static let shop = ShopTopUp(reference: "T1", transactionId: "tx-1", userId: "u-1", status: "completed", completed: true, named: true,
                                amount: Money(rupiah: 10_000), amountReceived: Money(rupiah: 9_180),
                                paidAt: "2025-11-21T03:00:00Z", merchantRef: "TOPUP-1")

    func verdict(_ data: String, status: Int = 200, shop: ShopTopUp = GatewayComparisonTests.shop) -> (GatewayReferenceCheck.Verdict, String?) {
        let record = GatewayResponseRecord(format: GatewayResponseRecord.currentFormat, reference: "T1", url: "u", httpStatus: status,
                                           fetchedAt: "2025-11-22T00:00:00Z", body: data)
        let (verdict, reason, _) = GatewayComparison(settings: Self.settings).verdict(for: shop, response: record)
        return (verdict, reason)
    }

    static func body(amount: String = "10000", received: String = "9180", paidAt: String = "1763694000", status: String = "\"PAID\"", merchantRef: String = "\"TOPUP-1\"") -> String {
        #"{"success":true,"message":"","data":{"reference":"T1","merchant_ref":\#(merchantRef),"status":\#(status),"amount":\#(amount),"fee_customer":0,"total_fee":820,"amount_received":\#(received),"paid_at":\#(paidAt)}}"#
    }

    @Test func anAgreeingAnswerConfirms() {
        #expect(verdict(Self.body()).0 == .confirmed)
        // Within the tolerance, and with amounts as decimal text.
        #expect(verdict(Self.body(amount: "\"10000.00\"", paidAt: "1763694299")).0 == .confirmed)
    }

    @Test func everyDifferingFieldIsNamedWithBothValues() {
        let (verdict, reason) = verdict(Self.body(amount: "11000", received: "9000", paidAt: "1763697600", status: "\"REFUND\"", merchantRef: "\"OTHER\""))
        #expect(verdict == .disagrees)
        for part in ["status: PAID expected (the shop completed it), REFUND at the gateway", "amount: Rp 10.000 in the shop, Rp 11.000 at the gateway",
                     "amount_received: Rp 9.180 in the shop, Rp 9.000 at the gateway", "paid_at: 2025-11-21T03:00:00.000000Z in the shop",
                     "(3600 s apart, tolerance 300 s)", "merchant_ref: TOPUP-1 in the shop, OTHER at the gateway"] {
            #expect(reason?.contains(part) == true, "\(reason ?? "")\nmissing: \(part)")
        }
    }

    @Test func fractionsOverflowsAndGarbageAreNeverTakenAsAmounts() {
        #expect(verdict(Self.body(received: "9180.5")).1?.contains("amount_received: Rp 9.180 in the shop, unreadable at the gateway") == true)
        #expect(verdict(Self.body(received: "922337203685477581")).1?.contains("unreadable at the gateway") == true)
        #expect(verdict(Self.body(received: "\"9.180\"")).0 == .disagrees)
        #expect(verdict("not json").0 == .unknown)
        #expect(verdict(#"{"success":false,"message":"Transaksi tidak ditemukan"}"#, status: 404).1 == "T1: the gateway does not know this reference (HTTP 404: Transaksi tidak ditemukan)")
    }

    @Test func aHostileStatusIsCutShortInTheReason() {
        let hostile = String(repeating: "\u{1b}[2J", count: 100)
        let reason = verdict(Self.body(status: "\"\(hostile.replacingOccurrences(of: "\u{1b}", with: "\\u001b"))\"")).1 ?? ""
        #expect(reason.count < 300)
        #expect(!reason.terminalSafe.contains("\u{1b}"))
    }

    @Test func aRefundAtTheGatewayAgreesOnlyWithARowTheShopRefundedToo() {
        #expect(verdict(Self.body(status: "\"REFUND\"")).0 == .disagrees)
        let refunded = ShopTopUp(reference: "T1", transactionId: "tx-1", userId: "u-1", status: "refunded", completed: false, named: true,
                                 amount: Money(rupiah: 10_000), amountReceived: Money(rupiah: 9_180), paidAt: "2025-11-21T03:00:00Z", merchantRef: "TOPUP-1")
        #expect(verdict(Self.body(status: "\"REFUND\""), shop: refunded).0 == .confirmed)
        #expect(verdict(Self.body(status: "\"EXPIRED\""), shop: refunded).1?.contains("status: PAID or REFUND expected (the shop's row is refunded now), EXPIRED at the gateway") == true)
    }

    @Test func aTopUpTheShopNeverCompletedIsOwedWhenTheGatewayShowsItPaid() {
        let pending = ShopTopUp(reference: "T1", transactionId: "tx-1", userId: "u-1", status: "pending", completed: false, named: false,
                                amount: Money(rupiah: 10_000), amountReceived: nil, paidAt: nil, merchantRef: "TOPUP-1")
        #expect(verdict(Self.body(), shop: pending).0 == .owedByShop)
        #expect(verdict(Self.body(status: "\"EXPIRED\""), shop: pending).0 == .notPaid)
    }
}
