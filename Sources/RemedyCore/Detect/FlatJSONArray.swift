import Foundation
import Rupiah

/// A fast reader for what detect.sql's evidence columns hold: a JSON array of flat objects whose
/// values are all strings (jsonb's text output, `[{"amount": "10000.00", "status": "completed"}]`).
/// Anything else (a number, null, a nested value, a repeated key, malformed text) makes it give up
/// and return nil; the caller then decodes with JSONDecoder as before, so the result, or the error,
/// is always what JSONDecoder would give. At 1,000,000 users JSONDecoder was half of plan's CPU.
struct FlatJSONArray {
    /// One object's members, in their order.
    typealias Object = [(key: String, value: String)]

    static func parse(_ text: String) -> [Object]? {
        var copy = text
        return copy.withUTF8 { bytes in
            var reader = FlatJSONArray(bytes: bytes)
            return reader.array()
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private mutating func array() -> [Object]? {
        skipSpace()
        guard take(UInt8(ascii: "[")) else { return nil }
        var objects: [Object] = []
        skipSpace()
        if take(UInt8(ascii: "]")) { return atEnd() ? objects : nil }
        while true {
            guard let object = object() else { return nil }
            objects.append(object)
            skipSpace()
            if take(UInt8(ascii: ",")) { skipSpace(); continue }
            guard take(UInt8(ascii: "]")) else { return nil }
            return atEnd() ? objects : nil
        }
    }

    private mutating func object() -> Object? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var members: Object = []
        members.reserveCapacity(6)
        skipSpace()
        if take(UInt8(ascii: "}")) { return members }
        while true {
            skipSpace()
            guard let key = string() else { return nil }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            guard let value = string() else { return nil }
            // A repeated key: leave the choice of value to JSONDecoder.
            guard !members.contains(where: { $0.key == key }) else { return nil }
            members.append((key, value))
            skipSpace()
            if take(UInt8(ascii: ",")) { continue }
            guard take(UInt8(ascii: "}")) else { return nil }
            return members
        }
    }

    /// A JSON string with every escape JSON allows; nil on anything malformed.
    private mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        // The common case: no escapes, so the bytes are the string.
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 {
            index += 1
        }
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "\"") {
            defer { index += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }
        var decoded = Array(bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: decoded, as: UTF8.self)
            case 0..<0x20:
                return nil
            case UInt8(ascii: "\\"):
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(escape)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0c)
                case UInt8(ascii: "n"): decoded.append(0x0a)
                case UInt8(ascii: "r"): decoded.append(0x0d)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard take(UInt8(ascii: "\\")), take(UInt8(ascii: "u")), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        return nil
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { return nil }
                    decoded.append(contentsOf: String(Character(unicode)).utf8)
                default:
                    return nil
                }
            default:
                decoded.append(byte)
            }
        }
        return nil
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            index += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[index]) { index += 1 }
    }

    private mutating func atEnd() -> Bool {
        skipSpace()
        return index == bytes.count
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
