import Foundation
import Rupiah

/// A fast reader for what detect.sql's evidence columns hold: a JSON array of flat objects whose
/// values are all strings (json_agg's text, `[{"amount" : "10000.00", "status" : "completed"}]`).
/// Anything else (a number, null, a nested value, a repeated key, malformed text) makes it give up
/// and return nil; the caller then decodes with JSONDecoder as before, so the result, or the error,
/// is always what JSONDecoder would give. At 1,000,000 users JSONDecoder was half of plan's CPU.
struct FlatJSONArray {
    /// One object's members, in their order.
    typealias Object = [(key: String, value: String)]

    /// Read as a JSONTree, then kept only if it is an array of objects whose values are all strings.
    static func parse(_ text: String) -> [Object]? {
        var copy = text
        return copy.withUTF8 { bytes in
            guard case .array(let elements)? = JSONTree.parse(UnsafeRawBufferPointer(bytes)) else { return nil }
            var objects: [Object] = []
            objects.reserveCapacity(elements.count)
            for element in elements {
                guard case .object(let members) = element else { return nil }
                var object: Object = []
                object.reserveCapacity(members.count)
                for (key, value) in members {
                    guard case .string(let text) = value else { return nil }
                    object.append((key, text))
                }
                objects.append(object)
            }
            return objects
        }
    }
}

extension FlatJSONArray.Object {
    func value(_ key: String) -> String? {
        first { $0.key == key }?.value
    }
}

/// The evidence types built from flat objects, or nil when a member is missing or an amount is not
/// exact (JSONDecoder then says why).
extension CandidateTopUp {
    init?(flat object: FlatJSONArray.Object) {
        guard let transactionId = object.value("transaction_id"), let reference = object.value("reference"),
              let paidAt = object.value("paid_at"), let amount = object.value("amount").flatMap({ try? Money(exactText: $0) }),
              let amountReceived = object.value("amount_received").flatMap({ try? Money(exactText: $0) }),
              let status = object.value("status") else { return nil }
        self.init(transactionId: transactionId, reference: reference, paidAt: paidAt, amount: amount, amountReceived: amountReceived, status: status)
    }
}

extension LostPurchaseCandidate {
    init?(flat object: FlatJSONArray.Object) {
        guard let transactionId = object.value("transaction_id"), let completedAt = object.value("completed_at"),
              let amount = object.value("amount").flatMap({ try? Money(exactText: $0) }),
              let afterReference = object.value("after_reference") else { return nil }
        self.init(transactionId: transactionId, completedAt: completedAt, amount: amount, afterReference: afterReference)
    }
}

extension LedgerCorrection {
    init?(flat object: FlatJSONArray.Object) {
        guard let transactionId = object.value("transaction_id"), let type = object.value("type"),
              let amount = object.value("amount").flatMap({ try? Money(exactText: $0) }) else { return nil }
        self.init(transactionId: transactionId, type: type, amount: amount)
    }
}

extension PurchaseCandidate {
    init?(flat object: FlatJSONArray.Object) {
        guard let transactionId = object.value("transaction_id"), let status = object.value("status"),
              let amount = object.value("amount").flatMap({ try? Money(exactText: $0) }),
              let createdAt = object.value("created_at") else { return nil }
        self.init(transactionId: transactionId, status: status, amount: amount, createdAt: createdAt)
    }
}

extension JSONDecoder {
    /// `[Element]` from detect's JSON text: the fast reader when it can, JSONDecoder otherwise.
    func decodeEvidence<Element: Decodable>(_ text: String, _ fast: (FlatJSONArray.Object) -> Element?) throws -> [Element] {
        if let objects = FlatJSONArray.parse(text) {
            var elements: [Element] = []
            elements.reserveCapacity(objects.count)
            for object in objects {
                guard let element = fast(object) else { return try decode([Element].self, from: Data(text.utf8)) }
                elements.append(element)
            }
            return elements
        }
        return try decode([Element].self, from: Data(text.utf8))
    }
}
