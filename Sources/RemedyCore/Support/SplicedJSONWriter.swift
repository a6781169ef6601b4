import Foundation

/// A long document printed as `OutputJSON` prints it, in pieces: the value is encoded once with
/// its long arrays empty (the skeleton), and each array's elements are written a batch at a time
/// (by CanonicalJSONWriter and laid out, or encoded) and spliced into its place, so a document of
/// any size prints in bounded memory. The bytes are
/// those of encoding the whole value at once (PlanJSONOutputTests and ApplyReportJSONTests hold
/// it to that).
///
/// The arrays are top-level members, opened in their (sorted) key order, each once.
struct SplicedJSONWriter {
    private var rest: Substring
    private let write: (String) throws -> Void
    private let encoder = OutputJSON.makeEncoder()
    /// The array open now, and whether an element has been written into it.
    private var open: (key: String, written: Bool)?

    init(skeleton: some Encodable, write: @escaping (String) throws -> Void) throws {
        rest = Substring(String(decoding: try encoder.encode(skeleton), as: UTF8.self))
        self.write = write
    }

    /// Writes the document up to and including `key`'s opening bracket.
    mutating func open(_ key: String) throws {
        precondition(open == nil, "one array at a time")
        // A string value never holds a raw line break, so an empty array's text at the top
        // level's indentation occurs once.
        let opening = "\n  \"\(key)\" : ["
        let empty = opening + "\n\n  ]"
        guard let place = rest.range(of: empty), rest[place.upperBound...].range(of: empty) == nil else {
            throw RemedyError(.invariant, "the JSON has no single empty \(key) array to print its elements into")
        }
        try write(String(rest[..<place.lowerBound]) + opening)
        rest = rest[place.upperBound...]
        open = (key, false)
    }

    /// Elements of the open array, after those already written.
    mutating func append<Element: Encodable>(_ elements: [Element]) throws {
        guard let current = open else { preconditionFailure("no array is open") }
        guard !elements.isEmpty else { return }
        try write((current.written ? ",\n" : "\n") + (try indented(elements)))
        open = (current.key, true)
    }

    /// The same for elements CanonicalJSONWriter writes: their canonical bytes laid out as the
    /// pretty-printing encoder lays them out (`prettyPrinted`), at a fraction of its cost (JSONEncoder
    /// was most of `show --json`). The two encoders differ only in that layout: the same keys in the
    /// same order, the same escapes. PlanJSONOutputTests and ApplyReportJSONTests compare the bytes.
    mutating func append<Element: Encodable & CanonicalJSONWritable>(_ elements: [Element]) throws {
        guard let current = open else { preconditionFailure("no array is open") }
        guard !elements.isEmpty else { return }
        var out: [UInt8] = []
        var writer = CanonicalJSONWriter()
        for (index, element) in elements.enumerated() {
            out += index == 0 && !current.written ? [0x0A] : [UInt8(ascii: ","), 0x0A]
            writer.removeAll()
            element.write(to: &writer)
            SplicedJSONWriter.layOut(writer.bytes, level: 2, into: &out)
        }
        try write(String(decoding: out, as: UTF8.self))
        open = (current.key, true)
    }

    /// Closes the open array.
    mutating func close() throws {
        guard let current = open else { preconditionFailure("no array is open") }
        try write(current.written ? "\n  ]" : "\n\n  ]")
        open = nil
    }

    /// Writes the rest of the document.
    mutating func finish() throws {
        precondition(open == nil, "an array is still open")
        try write(String(rest))
        rest = ""
    }

    /// Canonical (compact) JSON as `.prettyPrinted` writes it, the value starting at indentation
    /// `level` (two spaces each): `{` or `[` then a line per member or element one level deeper,
    /// `,` ending all but the last, the closing bracket on a line of its own; an empty object or
    /// array as its brackets around a blank line; `"key" : value`. Strings are copied as they are.
    static func layOut(_ canonical: [UInt8], level start: Int, into out: inout [UInt8]) {
        func newline(_ level: Int) {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * level))
        }
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * start))
        var level = start
        var index = 0
        while index < canonical.count {
            let byte = canonical[index]
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                out.append(byte)
                let closer = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                if index + 1 < canonical.count, canonical[index + 1] == closer {
                    out.append(0x0A)
                    newline(level)
                    out.append(closer)
                    index += 1
                } else {
                    level += 1
                    newline(level)
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                level -= 1
                newline(level)
                out.append(byte)
            case UInt8(ascii: ","):
                out.append(byte)
                newline(level)
            case UInt8(ascii: ":"):
                out += [UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: " ")]
            case UInt8(ascii: "\""):
                // To the closing quote; an escaped character is copied with its backslash.
                out.append(byte)
                index += 1
                while canonical[index] != UInt8(ascii: "\"") {
                    if canonical[index] == UInt8(ascii: "\\") {
                        out.append(canonical[index])
                        index += 1
                    }
                    out.append(canonical[index])
                    index += 1
                }
                out.append(canonical[index])
            default:
                out.append(byte)
            }
            index += 1
        }
        precondition(level == start, "canonical JSON's brackets balance")
    }

    /// A batch as elements of an array member: encoded as a top-level array, its brackets taken
    /// off and every line indented one level more (a blank line, inside an empty array, stays
    /// blank, as the encoder writes it).
    private func indented<Element: Encodable>(_ elements: [Element]) throws -> String {
        let array = try encoder.encode(elements)
        let openBracket = Array("[\n".utf8), closeBracket = Array("\n]".utf8)
        guard array.count >= openBracket.count + closeBracket.count, array.starts(with: openBracket), array.suffix(closeBracket.count).elementsEqual(closeBracket) else {
            throw RemedyError(.invariant, "a batch of elements did not encode as a JSON array")
        }
        // On the bytes in place: stepping through Data an element at a time was a tenth of
        // show --json's time.
        return array.withUnsafeBytes { raw in
            let body = UnsafeRawBufferPointer(rebasing: raw[openBracket.count..<(raw.count - closeBracket.count)])
            let lines = body.reduce(1) { $1 == 0x0A ? $0 + 1 : $0 }
            return String(unsafeUninitializedCapacity: body.count + 2 * lines) { out in
                var written = 0
                var lineStart = true
                for byte in body {
                    if lineStart, byte != 0x0A {
                        out[written] = 0x20
                        out[written + 1] = 0x20
                        written += 2
                    }
                    out[written] = byte
                    written += 1
                    lineStart = byte == 0x0A
                }
                return written
            }
        }
    }
}
