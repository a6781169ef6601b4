import Foundation
import Rupiah

/// The bytes `CanonicalJSON.encode` gives, written directly for the few types remedy writes by the
/// hundred thousand (a plan's lines and their evidence, a run's lines, export's lines and customer
/// notices), at a fraction of JSONEncoder's cost. `show --json` lays the same bytes out as the
/// pretty printer would (SplicedJSONWriter.layOut).
///
/// What CanonicalJSON's JSONEncoder does, and this matches (CanonicalJSONWriterTests compare the
/// two on every line of simulated plans and on awkward text): keys in snake_case, sorted by their
/// UTF-8 bytes; nil optionals left out; no whitespace; `"` `\` escaped, `\b \t \n \f \r` by name,
/// other controls as `\u00xx` (lowercase hex), everything else (`/`, DEL, non-ASCII) as is;
/// integers in decimal; amounts as exact strings.
/// The conformances live beside their types, in `Type+CanonicalJSON.swift`.
struct CanonicalJSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 1_024) {
        bytes.reserveCapacity(capacity)
    }

    static func encode<Value: CanonicalJSONWritable>(_ value: Value) -> Data {
        Data(encodeBytes(value))
    }

    static func encodeBytes<Value: CanonicalJSONWritable>(_ value: Value) -> [UInt8] {
        var writer = CanonicalJSONWriter()
        value.write(to: &writer)
        return writer.bytes
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    /// Hands what has been written so far to `sink` and forgets it (a long document is written to
    /// a file in pieces, in order).
    mutating func drain(into sink: ([UInt8]) -> Void) {
        guard !bytes.isEmpty else { return }
        sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    /// A separator between values written one after another.
    mutating func comma() {
        bytes.append(UInt8(ascii: ","))
    }

    // MARK: values

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        // Most text has nothing to escape (ids, amounts, times, references): copied whole.
        var text = text
        let plain = text.withUTF8 { utf8 -> Bool in
            guard !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        guard !plain else {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0x0a: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0c: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
            case 0x0d: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x00..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0f)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func money(_ amount: Money) { string(amount.exactText) }

    /// A value this writer wrote before (its canonical bytes), written again as is.
    mutating func raw(_ canonical: [UInt8]) { bytes.append(contentsOf: canonical) }

    mutating func int(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }

    mutating func bool(_ value: Bool) { bytes.append(contentsOf: (value ? "true" : "false").utf8) }

    mutating func array<Element>(_ elements: [Element], _ write: (inout CanonicalJSONWriter, Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            write(&self, element)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func array<Element: CanonicalJSONWritable>(_ elements: [Element]) {
        array(elements) { writer, element in element.write(to: &writer) }
    }

    /// An object; `body` writes its members with `member`, in sorted key order.
    mutating func object(_ body: (inout ObjectWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        // The bytes move into the member writer and back (swapped, never copied: a copy per
        // object would make a long report quadratic).
        var members = ObjectWriter(writer: CanonicalJSONWriter(capacity: 0))
        swap(&members.writer.bytes, &bytes)
        body(&members)
        swap(&members.writer.bytes, &bytes)
        bytes.append(UInt8(ascii: "}"))
    }

    /// Members of an object, without its braces, to be written into it later with
    /// `ObjectWriter.written(_:)` (apply writes an audit row's members that do not depend on the
    /// balances before it takes its row locks).
    static func members(_ body: (inout ObjectWriter) -> Void) -> [UInt8] {
        var members = ObjectWriter(writer: CanonicalJSONWriter(capacity: 512))
        body(&members)
        return members.writer.bytes
    }

    struct ObjectWriter {
        fileprivate var writer: CanonicalJSONWriter
        private var isFirst = true
        #if DEBUG
        private var lastKey: String?
        #endif

        fileprivate init(writer: CanonicalJSONWriter) {
            self.writer = writer
        }

        /// `"key":` then the value `write` writes. Keys must come in their sorted order.
        mutating func member(_ key: StaticString, _ write: (inout CanonicalJSONWriter) -> Void) {
            #if DEBUG
            let text = key.description
            assert(lastKey.map { $0.utf8.lexicographicallyPrecedes(text.utf8) } ?? true, "keys out of order: \(lastKey ?? "") before \(text)")
            lastKey = text
            #endif
            if !isFirst { writer.bytes.append(UInt8(ascii: ",")) }
            isFirst = false
            writer.bytes.append(UInt8(ascii: "\""))
            writer.bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            writer.bytes.append(UInt8(ascii: "\""))
            writer.bytes.append(UInt8(ascii: ":"))
            write(&writer)
        }

        /// Members `CanonicalJSONWriter.members` wrote, as they are; their keys come after every
        /// key written so far, and no member may follow them.
        mutating func written(_ members: [UInt8]) {
            guard !members.isEmpty else { return }
            if !isFirst { writer.bytes.append(UInt8(ascii: ",")) }
            isFirst = false
            writer.bytes.append(contentsOf: members)
            #if DEBUG
            lastKey = "\u{10FFFF}"
            #endif
        }

        /// Left out when nil, as JSONEncoder's synthesized `encodeIfPresent` does.
        mutating func member<Value>(_ key: StaticString, ifPresent value: Value?, _ write: (inout CanonicalJSONWriter, Value) -> Void) {
            guard let value else { return }
            member(key) { write(&$0, value) }
        }

        mutating func member(_ key: StaticString, _ text: String) { member(key) { $0.string(text) } }
        mutating func member(_ key: StaticString, _ amount: Money) { member(key) { $0.money(amount) } }
        mutating func member(_ key: StaticString, _ value: Int) { member(key) { $0.int(value) } }
        mutating func member(_ key: StaticString, _ value: Bool) { member(key) { $0.bool(value) } }
        mutating func member<Value: CanonicalJSONWritable>(_ key: StaticString, _ value: Value) { member(key) { value.write(to: &$0) } }
        mutating func member<Element: CanonicalJSONWritable>(_ key: StaticString, _ elements: [Element]) { member(key) { $0.array(elements) } }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// A type whose canonical JSON CanonicalJSONWriter writes by hand (the same bytes as CanonicalJSON.encode).
protocol CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter)
}
