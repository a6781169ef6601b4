import Foundation
import Rupiah

/// The shop's side of one top-up, as the plan and the shop's row give it.
struct ShopTopUp {
    let reference: String
    let transactionId: String
    let userId: String
    let status: String
    /// The row is in the ledger's completed status now.
    let completed: Bool
    /// A plan line names it (else: a window top-up that never completed, asked about for what the shop owes).
    let named: Bool
    let amount: Money
    /// From the plan (what the buggy handler credited); nil for a top-up the shop never completed.
    let amountReceived: Money?
    let paidAt: String?
    /// The merchant_ref the shop sent the gateway (the spec's column, or the transaction id).
    let merchantRef: String?
}

extension ShopTopUp {
    /// As remedy evidence keeps it between its steps (RecordFile), with whether a correction names it.
    func encoded(fromAdjustment: Bool) -> [String?] {
        [reference, transactionId, userId, status, completed ? "1" : "0", named ? "1" : "0", amount.exactText,
         amountReceived?.exactText, paidAt, merchantRef, fromAdjustment ? "1" : "0"]
    }

    static func decode(_ fields: [String?]) -> (top: ShopTopUp, fromAdjustment: Bool) {
        // Only `encoded` writes these records, in this shape, from amounts that were exact.
        precondition(fields.count == 11, "a top-up record holds 11 fields")
        let top = ShopTopUp(reference: fields[0]!, transactionId: fields[1]!, userId: fields[2]!, status: fields[3]!,
                            completed: fields[4] == "1", named: fields[5] == "1", amount: (try? Money(exactText: fields[6]!)) ?? .zero,
                            amountReceived: fields[7].flatMap { try? Money(exactText: $0) }, paidAt: fields[8], merchantRef: fields[9])
        return (top, fields[10] == "1")
    }
}

/// Compares the gateway's answer with the shop's row. Pure: the same stored answer and the same
/// row always give the same verdict, which is what lets a bundle be re-checked on reading.
struct GatewayComparison {
    let settings: GatewaySettings

    func verdict(for shop: ShopTopUp, response record: GatewayResponseRecord) -> (GatewayReferenceCheck.Verdict, String?, Money?) {
        let reference = shop.reference
        guard let object = try? JSONSerialization.jsonObject(with: Data(record.body.utf8)) as? [String: Any] else {
            return (shop.named ? .unknown : .notPaid, "\(reference): the gateway's answer (HTTP \(record.httpStatus)) is not a JSON object", nil)
        }
        let data = object["data"] as? [String: Any]
        guard (object["success"] as? Bool) == true, let data, (200...299).contains(record.httpStatus) else {
            let message = (object["message"] as? String).map { ": \(Self.short($0))" } ?? ""
            return (shop.named ? .unknown : .notPaid, "\(reference): the gateway does not know this reference (HTTP \(record.httpStatus)\(message))", nil)
        }
        let fields = settings.fields
        let status = Self.text(data[fields.status])
        let paid = status == settings.paidStatus
        let received = Self.money(data[fields.amountReceived])
        guard shop.named else {
            // Never completed in the shop: only "is it paid at the gateway" matters.
            return paid ? (.owedByShop, "\(reference): \(settings.paidStatus) at the gateway, \(Self.short(shop.status)) in the shop: the user paid and was never credited", received)
                        : (.notPaid, nil, nil)
        }
        var differences: [String] = []
        if shop.completed, !paid {
            differences.append("status: \(settings.paidStatus) expected (the shop completed it), \(Self.short(status ?? "none")) at the gateway")
        } else if !shop.completed, !paid, status != settings.refundStatus {
            differences.append("status: \(settings.paidStatus) or \(settings.refundStatus) expected (the shop's row is \(Self.short(shop.status)) now), \(Self.short(status ?? "none")) at the gateway")
        }
        let paidAmount = Self.money(data[fields.amount])
        let customerFee = data[fields.feeCustomer] == nil || data[fields.feeCustomer] is NSNull ? Money.zero : Self.money(data[fields.feeCustomer])
        if let paidAmount, let customerFee, let ordered = try? paidAmount.subtracting(customerFee) {
            if ordered != shop.amount { differences.append("amount: \(shop.amount.rupiah) in the shop, \(ordered.rupiah) at the gateway") }
        } else {
            differences.append("amount: \(shop.amount.rupiah) in the shop, unreadable at the gateway")
        }
        if let expected = shop.amountReceived {
            if let received {
                if received != expected { differences.append("amount_received: \(expected.rupiah) in the shop, \(received.rupiah) at the gateway") }
            } else {
                differences.append("amount_received: \(expected.rupiah) in the shop, unreadable at the gateway")
            }
        }
        if let shopPaidAt = shop.paidAt, let shopTime = try? Timestamp(iso8601: shopPaidAt) {
            if let seconds = Self.integer(data[fields.paidAt]) {
                let gatewayTime = Timestamp(microsecondsSinceEpoch: seconds * 1_000_000)
                let apart = abs(gatewayTime.microsecondsSinceEpoch - shopTime.microsecondsSinceEpoch) / 1_000_000
                if apart > Int64(settings.paidAtToleranceSeconds) {
                    differences.append("paid_at: \(shopTime) in the shop, \(gatewayTime) at the gateway (\(apart) s apart, tolerance \(settings.paidAtToleranceSeconds) s)")
                }
            } else {
                differences.append("paid_at: \(shopTime) in the shop, none at the gateway")
            }
        }
        if let expected = shop.merchantRef {
            let actual = Self.text(data[fields.merchantRef])
            if actual != expected { differences.append("merchant_ref: \(Self.short(expected)) in the shop, \(Self.short(actual ?? "none")) at the gateway") }
        }
        if differences.isEmpty { return (.confirmed, nil, received) }
        return (.disagrees, "\(reference) " + differences.joined(separator: "; "), received)
    }

    /// A string value (numbers written as text too: some gateways quote them).
    static func text(_ value: Any?) -> String? {
        switch value {
        case let string as String: return string
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }

    /// Whole seconds, from a number or a numeric string.
    static func integer(_ value: Any?) -> Int64? {
        if let number = value as? Int { return Int64(number) }
        if let string = value as? String { return Int64(string) }
        return nil
    }

    /// An exact amount: an integer, or a decimal string; never a binary fraction.
    static func money(_ value: Any?) -> Money? {
        if let number = value as? Int {
            let (sen, overflow) = Int64(number).multipliedReportingOverflow(by: Money.minorUnitsPerRupiah)
            return overflow ? nil : Money(minorUnits: sen)
        }
        if let string = value as? String { return try? Money(exactText: string) }
        return nil
    }

    /// A gateway's string as a reason quotes it: at most 80 characters (it may be hostile; every
    /// display escapes it, TerminalSafe).
    static func short(_ text: String) -> String {
        text.count <= 80 ? text : String(text.prefix(80)) + "…"
    }
}
