import Foundation

/// A canonical document (CanonicalJSON) written around one long array member, an element at a
/// time, so it never holds every element: the document is encoded once with the array empty, split
/// where the array's brackets are, and each element written by CanonicalJSONWriter between them.
/// The bytes are those of encoding the whole document at once (ExportStreamingTests).
///
/// The array is found by its key and the key sorted after it: `,"KEY":[],"NEXT":`. No string value
/// can hold an unescaped quote, so that byte sequence occurs only where the document's own key is;
/// anything else is refused.
struct CanonicalJSONSplice<Element: CanonicalJSONWritable> {
    /// The document's bytes up to and including the array's `[`.
    let prefix: Data
    /// From the array's `]` to the end, and a line break.
    let suffix: Data
    private var first = true

    /// `document` with the array `arrayKey` empty; `nextKey` is the member after it. `unplaceable`:
    /// what the error says (before the count of places found) when the array is not there once.
    init(_ document: some Encodable, arrayKey: String, nextKey: String, unplaceable: String) throws {
        let tail = Array("],\"\(nextKey)\":".utf8)
        let marker = Array(",\"\(arrayKey)\":[".utf8) + tail
        let bytes = [UInt8](try CanonicalJSON.encode(document))
        let splits = bytes.indices.filter { bytes[$0...].starts(with: marker) }
        guard splits.count == 1, let at = splits.first else {
            throw RemedyError(.invariant, "\(unplaceable): \(splits.count) places found")
        }
        let open = at + marker.count - tail.count
        prefix = Data(bytes[..<open])
        suffix = Data(bytes[open...]) + Data([0x0A])
    }

    /// One element's bytes, with the comma before every element but the first.
    mutating func record(_ element: Element) -> Data {
        var writer = CanonicalJSONWriter()
        if !first { writer.comma() }
        first = false
        element.write(to: &writer)
        return Data(writer.bytes)
    }
}
