import Foundation
import Rupiah

/// A type read from remedy's canonical JSON (plan.json's lines, a run report's lines) by
/// CanonicalJSONReader alone. The conformances live beside their types, in `Type+CanonicalJSON.swift`,
/// next to the CanonicalJSONWritable ones that write the same bytes.
protocol CanonicalJSONReadable {
    init?(node: CanonicalJSONReader.Node)
}

extension CanonicalJSONReadable {
    /// From a line's bytes, or nil when they are not one.
    static func read(_ bytes: UnsafeRawBufferPointer) -> Self? {
        CanonicalJSONReader.parse(bytes).flatMap(Self.init(node:))
    }
}

/// An object's members as a CanonicalJSONReadable conformance reads them: typed, with JSONDecoder's
/// rules (required members present and of their type, optional ones missing, unknown ones ignored);
/// each read is nil when anything is unexpected, and the conformance then refuses the whole value.
struct CanonicalJSONMembers {
    let members: [(key: String, value: CanonicalJSONReader.Node)]

    init?(_ node: CanonicalJSONReader.Node) {
        // Only keys in plain snake_case: convertFromSnakeCase could map another spelling
        // ("userId", "user__id") onto the same property.
        guard case .object(let members) = node, members.allSatisfy({ CanonicalJSONMembers.isPlainSnakeCase($0.key) }) else { return nil }
        self.members = members
    }

    static func isPlainSnakeCase(_ key: String) -> Bool {
        // Over the key's UTF-8 in place: every member of every object of a plan passes here.
        var key = key
        return key.withUTF8 { bytes in
            var previous: UInt8 = UInt8(ascii: "_")
            for byte in bytes {
                let isLetterOrDigit = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                guard isLetterOrDigit || (byte == UInt8(ascii: "_") && previous != UInt8(ascii: "_")) else { return false }
                previous = byte
            }
            return previous != UInt8(ascii: "_")
        }
    }

    func node(_ key: String) -> CanonicalJSONReader.Node? { members.first { CanonicalJSONReader.sameKey($0.key, key) }?.value }

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

    /// A missing member is nil (`.some(nil)`); an exact amount is its value; anything else, null
    /// included (a writer leaves the member out), gives up (nil).
    func optionalMoney(_ key: String) -> Money?? {
        optional(key) { node in
            guard case .string(let text) = node else { return nil }
            return try? Money(exactText: text)
        }
    }

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
