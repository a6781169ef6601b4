import Foundation
import Rupiah

/// The one reader of plan.json's lines, for every command (PlanBundle's reader). It builds a
/// plain tree and the types are made from it with JSONDecoder's rules (required members present
/// and of their type, optional ones missing, unknown members ignored). Whenever anything is not as
/// expected (a repeated key, a number that is not a plain integer, an unknown enum value, malformed
/// text) it returns nil and the plan is refused: there is no second parser to fall back to. What it
/// accepts is then written again by CanonicalJSONWriter and must give the very same bytes, so
/// escapes, unknown keys, key order and whitespace are refused too.
enum CanonicalJSONReader {
    indirect enum Node {
        case string(String)
        /// A number's text, as written.
        case number(String)
        case bool(Bool)
        case null
        case array([Node])
        case object([(key: String, value: Node)])
    }

    static func parse(_ bytes: UnsafeRawBufferPointer) -> Node? {
        var parser = Parser(bytes: bytes)
        guard let node = parser.value(depth: 0) else { return nil }
        parser.skipSpace()
        return parser.index == bytes.count ? node : nil
    }

    private struct Parser {
        let bytes: UnsafeRawBufferPointer
        var index = 0
        static let maxDepth = 64

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0a || bytes[index] == 0x0d { index += 1 }
        }

        mutating func value(depth: Int) -> Node? {
            guard depth < Parser.maxDepth else { return nil }
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string().map { .string($0) }
            case UInt8(ascii: "{"): return object(depth: depth)
            case UInt8(ascii: "["): return array(depth: depth)
            case UInt8(ascii: "t"): return literal("true", .bool(true))
            case UInt8(ascii: "f"): return literal("false", .bool(false))
            case UInt8(ascii: "n"): return literal("null", .null)
            default: return number()
            }
        }

        mutating func literal(_ word: StaticString, _ node: Node) -> Node? {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { return nil }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return nil }
            index += count
            return node
        }

        mutating func number() -> Node? {
            let start = index
            while index < bytes.count, (bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9")) || bytes[index] == UInt8(ascii: "-")
                    || bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
            }
            guard index > start else { return nil }
            return .number(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
        }

        mutating func array(depth: Int) -> Node? {
            index += 1
            var elements: [Node] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
            while true {
                guard let element = value(depth: depth + 1) else { return nil }
                elements.append(element)
                skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                guard bytes[index] == UInt8(ascii: "]") else { return nil }
                index += 1
                return .array(elements)
            }
        }

        mutating func object(depth: Int) -> Node? {
            index += 1
            var members: [(key: String, value: Node)] = []
            skipSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            while true {
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard let value = value(depth: depth + 1) else { return nil }
                // A repeated key is refused: no reader may pick one of the two.
                guard !members.contains(where: { $0.key == key }) else { return nil }
                members.append((key, value))
                skipSpace()
                guard index < bytes.count else { return nil }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                guard bytes[index] == UInt8(ascii: "}") else { return nil }
                index += 1
                return .object(members)
            }
        }

        /// At a `"`: the string, every JSON escape decoded; nil if malformed.
        mutating func string() -> String? {
            index += 1
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 { index += 1 }
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "\"") {
                defer { index += 1 }
                return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            }
            var decoded = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""): return String(decoding: decoded, as: UTF8.self)
                case 0..<0x20: return nil
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
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else { return nil }
                            index += 2
                            guard let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00..<0xE000).contains(scalar) {
                            return nil
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { return nil }
                        decoded.append(contentsOf: String(Character(unicode)).utf8)
                    default: return nil
                    }
                default: decoded.append(byte)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
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
    }
}

/// Typed reads of an object's members with JSONDecoder's rules; nil when anything is unexpected.
private struct Members {
    let members: [(key: String, value: CanonicalJSONReader.Node)]

    init?(_ node: CanonicalJSONReader.Node) {
        // Only keys in plain snake_case: convertFromSnakeCase could map another spelling
        // ("userId", "user__id") onto the same property.
        guard case .object(let members) = node, members.allSatisfy({ Members.isPlainSnakeCase($0.key) }) else { return nil }
        self.members = members
    }

    static func isPlainSnakeCase(_ key: String) -> Bool {
        var previous: UInt8 = UInt8(ascii: "_")
        for byte in key.utf8 {
            let isLetterOrDigit = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            guard isLetterOrDigit || (byte == UInt8(ascii: "_") && previous != UInt8(ascii: "_")) else { return false }
            previous = byte
        }
        return previous != UInt8(ascii: "_")
    }

    func node(_ key: String) -> CanonicalJSONReader.Node? { members.first { $0.key == key }?.value }

    func string(_ key: String) -> String? {
        guard case .string(let text)? = node(key) else { return nil }
        return text
    }

    /// A missing or null member is nil (`.some(nil)`); a string is its value; anything else gives up (nil).
    func optionalString(_ key: String) -> String?? {
        switch node(key) {
        case nil, .null?: return .some(nil)
        case .string(let text)?: return .some(text)
        default: return nil
        }
    }

    func money(_ key: String) -> Money? { string(key).flatMap { try? Money(exactText: $0) } }

    /// A plain JSON integer (`0`, `-12`; no leading zeros, fraction or exponent).
    func int(_ key: String) -> Int? {
        guard case .number(let text)? = node(key) else { return nil }
        let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              digits == "0" || !digits.hasPrefix("0"), let value = Int(text) else { return nil }
        return value
    }

    /// A missing member is nil (`.some(nil)`); an object `make` accepts is its value; anything else gives up (nil).
    func optional<Value>(_ key: String, _ make: (CanonicalJSONReader.Node) -> Value?) -> Value?? {
        guard let node = node(key) else { return .some(nil) }
        return make(node).map { .some($0) }
    }

    func bool(_ key: String) -> Bool? {
        guard case .bool(let value)? = node(key) else { return nil }
        return value
    }

    func array<Element>(_ key: String, _ make: (CanonicalJSONReader.Node) -> Element?) -> [Element]? {
        guard case .array(let nodes)? = node(key) else { return nil }
        var elements: [Element] = []
        elements.reserveCapacity(nodes.count)
        for node in nodes {
            guard let element = make(node) else { return nil }
            elements.append(element)
        }
        return elements
    }
}

/// A type read from plan.json by CanonicalJSONReader alone.
protocol CanonicalJSONReadable {
    init?(node: CanonicalJSONReader.Node)
}

extension CanonicalJSONReadable {
    /// From a line's bytes, or nil when they are not one.
    static func read(_ bytes: UnsafeRawBufferPointer) -> Self? {
        CanonicalJSONReader.parse(bytes).flatMap(Self.init(node:))
    }
}

extension AdjustmentLine: CanonicalJSONReadable {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = Members(node), let userId = m.string("user_id"), let label = m.string("label"), let contact = m.optionalString("contact"),
              let balance = m.money("balance"), let ledger = m.money("ledger"), let openReceivables = m.money("open_receivables"),
              let excess = m.money("excess"), let delta = m.money("delta"), let receivable = m.money("receivable"),
              let balanceAfter = m.money("balance_after"), let attribution = m.node("attribution").flatMap(Decomposition.init(node:)),
              let decompositions = m.int("decompositions"), let ambiguous = m.bool("ambiguous"),
              let precondition = m.node("precondition").flatMap(Members.init).flatMap({ $0.money("excess") }),
              let idempotencyKey = m.string("idempotency_key"), let revertsKey = m.optionalString("reverts_key") else { return nil }
        self.init(userId: userId, label: label, contact: contact, balance: balance, ledger: ledger, openReceivables: openReceivables,
                  excess: excess, delta: delta, receivable: receivable, balanceAfter: balanceAfter, attribution: attribution,
                  decompositions: decompositions, ambiguous: ambiguous, precondition: Precondition(excess: precondition),
                  idempotencyKey: idempotencyKey, revertsKey: revertsKey)
    }
}

extension HeldLine: CanonicalJSONReadable {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = Members(node), let userId = m.string("user_id"), let label = m.string("label"),
              let balance = m.money("balance"), let ledger = m.money("ledger"), let openReceivables = m.money("open_receivables"),
              let excess = m.money("excess"), let reason = m.string("reason").flatMap(Reason.init(rawValue:)),
              let explanation = m.string("explanation"), let closest = m.optional("closest", Decomposition.init(node:)),
              let acknowledged = m.optional("acknowledged", Acknowledgement.init(node:)) else { return nil }
        self.init(userId: userId, label: label, balance: balance, ledger: ledger, openReceivables: openReceivables, excess: excess,
                  reason: reason, explanation: explanation, closest: closest, acknowledged: acknowledged)
    }
}

extension Acknowledgement {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = Members(node), let by = m.string("by"), let at = m.string("at"), let reason = m.string("reason") else { return nil }
        self.init(by: by, at: at, reason: reason)
    }
}

extension SettledLine: CanonicalJSONReadable {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = Members(node), let userId = m.string("user_id"), let label = m.string("label"),
              let candidateTopUps = m.int("candidate_top_ups"), let note = m.string("note") else { return nil }
        self.init(userId: userId, label: label, candidateTopUps: candidateTopUps, note: note)
    }
}

extension Decomposition {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = Members(node), let topUps = m.array("top_ups", TopUpAttribution.init(node:)),
              let purchases = m.array("purchases", PurchaseAttribution.init(node:)), let total = m.money("total"),
              let classification = m.array("classification", { node -> SignatureKind? in
                  guard case .string(let raw) = node else { return nil }
                  return SignatureKind(rawValue: raw)
              }) else { return nil }
        self.init(topUps: topUps, purchases: purchases, total: total, classification: classification)
    }
}

extension TopUpAttribution {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = Members(node), let transactionId = m.string("transaction_id"), let reference = m.string("reference"),
              let paidAt = m.string("paid_at"), let amount = m.money("amount"), let amountReceived = m.money("amount_received"),
              let handlerRuns = m.int("handler_runs"), let triggerRefires = m.int("trigger_refires"),
              let lostPurchases = m.array("lost_purchases", LostPurchaseCandidate.init(node:)),
              let contribution = m.money("contribution") else { return nil }
        self.init(transactionId: transactionId, reference: reference, paidAt: paidAt, amount: amount, amountReceived: amountReceived,
                  handlerRuns: handlerRuns, triggerRefires: triggerRefires, lostPurchases: lostPurchases, contribution: contribution)
    }
}

extension PurchaseAttribution {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = Members(node), let transactionId = m.string("transaction_id"), let status = m.string("status"),
              let amount = m.money("amount"), let kind = m.string("kind").flatMap(SignatureKind.init(rawValue:)),
              let contribution = m.money("contribution") else { return nil }
        self.init(transactionId: transactionId, status: status, amount: amount, kind: kind, contribution: contribution)
    }
}

extension LostPurchaseCandidate {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = Members(node), let transactionId = m.string("transaction_id"), let completedAt = m.string("completed_at"),
              let amount = m.money("amount"), let afterReference = m.string("after_reference") else { return nil }
        self.init(transactionId: transactionId, completedAt: completedAt, amount: amount, afterReference: afterReference)
    }
}

// A run report's lines (runs/RUN.json, written by CanonicalJSONWriter), read one at a time by
// export (BundleRuns+Reading).
extension ApplyReport.Applied: CanonicalJSONReadable {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = Members(node), let userId = m.string("user_id"), let label = m.string("label"),
              let balanceBefore = m.money("balance_before"), let balanceAfter = m.money("balance_after"),
              let delta = m.money("delta"), let receivable = m.money("receivable") else { return nil }
        self.init(userId: userId, label: label, balanceBefore: balanceBefore, balanceAfter: balanceAfter, delta: delta, receivable: receivable)
    }
}

extension ApplyReport.Skipped: CanonicalJSONReadable {
    init?(node: CanonicalJSONReader.Node) {
        guard let m = Members(node), let userId = m.string("user_id"), let label = m.string("label"),
              let reason = m.string("reason").flatMap(Reason.init(rawValue:)), let plannedExcess = m.money("planned_excess"),
              let currentExcess = m.optional("current_excess", { node -> Money? in
                  guard case .string(let text) = node else { return nil }
                  return try? Money(exactText: text)
              }),
              let currentBalance = m.optional("current_balance", { node -> Money? in
                  guard case .string(let text) = node else { return nil }
                  return try? Money(exactText: text)
              }) else { return nil }
        self.init(userId: userId, label: label, reason: reason, plannedExcess: plannedExcess, currentExcess: currentExcess, currentBalance: currentBalance)
    }
}
