import Foundation
import Rupiah

/// The one reader of remedy's signed documents: plan.json (its header and its lines), the
/// approvals and the planner's signature beside it, a run report, the gateway's answers in
/// `evidence/`. It accepts remedy's canonical form and nothing else: the bytes CanonicalJSONWriter
/// writes (and CanonicalJSON.encode, which gives the same), read in the writer's own order, a byte
/// at a time, with no tree in between.
///
/// Every conformance reads its members in sorted key order (`member` expects exactly `,"key":`),
/// so a missing, repeated, unknown or reordered key is refused where it starts. Values are held
/// to the writer's spelling: strings escape only what the writer escapes and as it does
/// (`\"` `\\` `\b \t \n \f \r`, other controls as lowercase `\u00xx`), and must be valid UTF-8;
/// integers are plain decimal (no `-0`, no leading zero); amounts are exact text as
/// `Money.exactText` writes it; no whitespace anywhere. So whatever it accepts, the writer writes
/// again byte for byte (CanonicalJSONReaderTests hold the two to that), and when it refuses,
/// `offset` is the first byte it could not take.
struct CanonicalJSONReader {
    private let bytes: UnsafeRawBufferPointer
    /// The next byte to read. A read that returns nil leaves it at the byte it could not take (an
    /// amount, integer, raw value or invalid UTF-8: where that value starts); only a key or a
    /// literal that is not next is taken back whole.
    private(set) var offset = 0
    /// The furthest byte a key's bytes matched up to: where the key that was next differs from
    /// every key tried there, when no later read gets further.
    private var furthest = 0
    private var depth = 0
    /// Nesting is bounded: no remedy document is deeper than a few levels.
    static let maxDepth = 16

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The value `read` makes of the whole of `bytes`, or why not: the offset of the first byte
    /// that is not remedy's canonical form.
    static func read<Value>(_ bytes: UnsafeRawBufferPointer, _ read: (inout CanonicalJSONReader) -> Value?) -> Result<Value, Refusal> {
        var reader = CanonicalJSONReader(bytes)
        guard let value = read(&reader), reader.offset == bytes.count else {
            return .failure(Refusal(offset: max(reader.offset, reader.furthest)))
        }
        return .success(value)
    }

    /// Where the bytes stopped being remedy's canonical form.
    struct Refusal: Error, Equatable {
        let offset: Int
    }

    // MARK: values

    /// A string, escapes decoded; nil unless every byte is as CanonicalJSONWriter writes it.
    mutating func string() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = offset
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self) else {
                    offset = start
                    return nil
                }
                offset += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return escapedString(from: start) }
            guard byte >= 0x20 else { return nil }
            offset += 1
        }
        return nil
    }

    /// The rest of a string that has an escape: decoded into a buffer as it goes.
    private mutating func escapedString(from start: Int) -> String? {
        var decoded = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<offset]))
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: decoded, as: UTF8.self) else {
                    offset = start
                    return nil
                }
                offset += 1
                return text
            case UInt8(ascii: "\\"):
                guard offset + 1 < bytes.count else { return nil }
                let escape = bytes[offset + 1]
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): decoded.append(escape)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "n"): decoded.append(0x0a)
                case UInt8(ascii: "f"): decoded.append(0x0c)
                case UInt8(ascii: "r"): decoded.append(0x0d)
                case UInt8(ascii: "u"):
                    // Only a control without a short name, as `\u00xx` in lowercase hex.
                    guard offset + 5 < bytes.count, bytes[offset + 2] == UInt8(ascii: "0"), bytes[offset + 3] == UInt8(ascii: "0"),
                          let high = Self.lowercaseHex(bytes[offset + 4]), high < 2, let low = Self.lowercaseHex(bytes[offset + 5]) else { return nil }
                    let control = high << 4 | low
                    guard ![0x08, 0x09, 0x0a, 0x0c, 0x0d].contains(control) else { return nil }
                    decoded.append(control)
                    offset += 6
                    continue
                default: return nil
                }
                offset += 2
            default:
                guard byte >= 0x20 else { return nil }
                decoded.append(byte)
                offset += 1
            }
        }
        return nil
    }

    private static func lowercaseHex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// An amount, as a string in `Money.exactText`'s spelling and no other.
    mutating func money() -> Money? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = offset
        while offset < bytes.count, bytes[offset] != UInt8(ascii: "\"") { offset += 1 }
        guard offset < bytes.count, let amount = Money(canonicalExactText: UnsafeRawBufferPointer(rebasing: bytes[start..<offset])) else {
            offset = start
            return nil
        }
        offset += 1
        return amount
    }

    /// A string that `make` takes (nil: not one it takes); a refusal names where the string starts.
    mutating func string<Value>(as make: (String) -> Value?) -> Value? {
        let start = offset
        guard let text = string() else { return nil }
        guard let value = make(text) else { offset = start; return nil }
        return value
    }

    /// A string that is one of `Value`'s raw values; a refusal names where the string starts.
    mutating func rawValue<Value: RawRepresentable<String>>(as: Value.Type) -> Value? {
        string(as: Value.init(rawValue:))
    }

    /// A plain decimal integer as Swift's `String(Int)` writes it.
    mutating func int() -> Int? {
        let start = offset
        let negative = offset < bytes.count && bytes[offset] == UInt8(ascii: "-")
        if negative { offset += 1 }
        let digitsStart = offset
        var magnitude: UInt64 = 0
        while offset < bytes.count, bytes[offset] >= UInt8(ascii: "0"), bytes[offset] <= UInt8(ascii: "9") {
            let (shifted, overflowMultiply) = magnitude.multipliedReportingOverflow(by: 10)
            let (next, overflowAdd) = shifted.addingReportingOverflow(UInt64(bytes[offset] - UInt8(ascii: "0")))
            guard !overflowMultiply, !overflowAdd else { offset = start; return nil }
            magnitude = next
            offset += 1
        }
        let digits = offset - digitsStart
        // "0" alone, or no leading zero; never "-0".
        guard digits > 0, digits == 1 || bytes[digitsStart] != UInt8(ascii: "0"), !(negative && magnitude == 0),
              magnitude <= (negative ? UInt64(Int.max) + 1 : UInt64(Int.max)) else {
            offset = start
            return nil
        }
        return negative ? Int(truncatingIfNeeded: 0 &- magnitude) : Int(magnitude)
    }

    mutating func bool() -> Bool? {
        if take("true") { return true }
        if take("false") { return false }
        return nil
    }

    /// An array of what `element` reads, `[a,b]`.
    mutating func array<Element>(_ element: (inout CanonicalJSONReader) -> Element?) -> [Element]? {
        guard depth < Self.maxDepth, take(UInt8(ascii: "[")) else { return nil }
        depth += 1
        defer { depth -= 1 }
        var elements: [Element] = []
        if take(UInt8(ascii: "]")) { return elements }
        repeat {
            guard let value = element(&self) else { return nil }
            elements.append(value)
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? elements : nil
    }

    /// `[]`, and nothing else (true; nil otherwise): a line array a document's header holds empty.
    mutating func emptyArray() -> Bool? {
        array { (_: inout CanonicalJSONReader) -> Never? in nil }.map { _ in true }
    }

    /// An object whose values are all strings, `{"a":"x","b":"y"}` (a `[String: String]` as
    /// JSONEncoder writes it with sorted keys): each key ASCII and one `isKey` allows, in strictly
    /// ascending byte order, so no key repeats and the order is the encoder's (for ASCII keys its
    /// order is byte order).
    mutating func stringMap(keys isKey: (String) -> Bool) -> [String: String]? {
        guard depth < Self.maxDepth, take(UInt8(ascii: "{")) else { return nil }
        if take(UInt8(ascii: "}")) { return [:] }
        var map: [String: String] = [:]
        var previous: String?
        repeat {
            let keyStart = offset
            guard let key = string() else { return nil }
            guard isKey(key), key.utf8.allSatisfy({ $0 < 0x80 }), previous.map({ $0.utf8.lexicographicallyPrecedes(key.utf8) }) ?? true else {
                offset = keyStart
                return nil
            }
            guard take(UInt8(ascii: ":")), let value = string() else { return nil }
            map[key] = value
            previous = key
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}")) ? map : nil
    }

    /// An object: `body` reads its members in sorted key order (`Members`), then `}` must follow.
    mutating func object<Value>(_ body: (inout Members) -> Value?) -> Value? {
        guard depth < Self.maxDepth, take(UInt8(ascii: "{")) else { return nil }
        depth += 1
        defer { depth -= 1 }
        var members = Members(reader: self)
        let value = body(&members)
        self = members.reader
        guard let value, take(UInt8(ascii: "}")) else { return nil }
        return value
    }

    /// An object's members, read in the order CanonicalJSONWriter writes them.
    struct Members {
        fileprivate var reader: CanonicalJSONReader
        private var isFirst = true

        fileprivate init(reader: CanonicalJSONReader) {
            self.reader = reader
        }

        /// The member `key`, next and present: `,"key":` (no comma first), then what `read` reads.
        mutating func member<Value>(_ key: StaticString, _ read: (inout CanonicalJSONReader) -> Value?) -> Value? {
            guard reader.takeKey(key, first: isFirst) else { return nil }
            isFirst = false
            return read(&reader)
        }

        /// The member `key` if it is next; a writer leaves a nil optional out (never `null`).
        /// `.some(nil)` when absent, nil when present and not what `read` reads.
        mutating func optionalMember<Value>(_ key: StaticString, _ read: (inout CanonicalJSONReader) -> Value?) -> Value?? {
            guard reader.takeKey(key, first: isFirst) else { return .some(nil) }
            isFirst = false
            return read(&reader).map { .some($0) }
        }

        mutating func string(_ key: StaticString) -> String? { member(key) { $0.string() } }
        mutating func money(_ key: StaticString) -> Money? { member(key) { $0.money() } }
        mutating func int(_ key: StaticString) -> Int? { member(key) { $0.int() } }
        mutating func bool(_ key: StaticString) -> Bool? { member(key) { $0.bool() } }
        mutating func optionalString(_ key: StaticString) -> String?? { optionalMember(key) { $0.string() } }
        mutating func optionalMoney(_ key: StaticString) -> Money?? { optionalMember(key) { $0.money() } }
        mutating func strings(_ key: StaticString) -> [String]? { member(key) { $0.array { $0.string() } } }
        /// `"key":[]`, and nothing else: a line array a document's header holds empty.
        mutating func emptyArray(_ key: StaticString) -> Bool {
            member(key) { $0.emptyArray() } != nil
        }
        /// A string that must be one of `Value`'s raw values.
        mutating func rawValue<Value: RawRepresentable<String>>(_ key: StaticString, as: Value.Type) -> Value? {
            member(key) { $0.rawValue(as: Value.self) }
        }
    }

    // MARK: bytes

    /// `,"key":` (or `"key":` for an object's first member): taken whole, or nothing is taken
    /// (`offset` back where it was) and the first byte that differs is kept in `furthest`.
    fileprivate mutating func takeKey(_ key: StaticString, first: Bool) -> Bool {
        let start = offset
        guard first || take(UInt8(ascii: ",")), take(UInt8(ascii: "\"")),
              take(UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)),
              take(UInt8(ascii: "\"")), take(UInt8(ascii: ":")) else {
            furthest = max(furthest, offset)
            offset = start
            return false
        }
        return true
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    /// `expected` next, whole, and taken; otherwise `offset` stops at the first byte that differs.
    private mutating func take(_ expected: UnsafeRawBufferPointer) -> Bool {
        for byte in expected {
            guard take(byte) else { return false }
        }
        return true
    }

    private mutating func take(_ literal: StaticString) -> Bool {
        let start = offset
        guard take(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)) else { offset = start; return false }
        return true
    }
}

/// An object type read from remedy's canonical JSON by CanonicalJSONReader alone. The conformances
/// live beside their types: the lines' in `Type+CanonicalJSON.swift`, next to the
/// CanonicalJSONWritable ones that write the same bytes, in the same order; a document header's
/// (a plan's, a run report's, an approval's) beside its Codable type, whose sorted keys
/// CanonicalJSON.encode writes.
protocol CanonicalJSONReadable {
    /// From the object's members, read in the writer's order (the braces are read around it).
    init?(members: inout CanonicalJSONReader.Members)
}

extension CanonicalJSONReadable {
    /// The object, `{…}`, at the reader's offset.
    init?(reading reader: inout CanonicalJSONReader) {
        guard let value = reader.object({ Self(members: &$0) }) else { return nil }
        self = value
    }

    /// From a line's (or a document's) bytes, or nil when they are not one in canonical form.
    static func read(_ bytes: UnsafeRawBufferPointer) -> Self? {
        try? readCanonical(bytes).get()
    }

    /// From a line's (or a document's) bytes, or where they stop being one in canonical form.
    static func readCanonical(_ bytes: UnsafeRawBufferPointer) -> Result<Self, CanonicalJSONReader.Refusal> {
        CanonicalJSONReader.read(bytes) { Self(reading: &$0) }
    }

    /// A small signed document read whole (an approval, the planner's signature): in canonical
    /// form, or refused naming the first byte that is not; `what` names the file.
    static func readDocument(_ data: Data, what: String) throws -> Self {
        switch data.withUnsafeBytes(readCanonical) {
        case .success(let document): return document
        case .failure(let refusal):
            throw RemedyError(.tampered, "\(what) is not in remedy's canonical form at byte \(refusal.offset); remedy never writes such a file: restore the original")
        }
    }
}
