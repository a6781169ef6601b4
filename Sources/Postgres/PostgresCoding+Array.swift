/// A one-dimensional array as a text-format parameter: `{"a","b",NULL}`. Every element is quoted
/// and `"` and `\` are escaped, so no element can end the literal early. With `= ANY($1)` the
/// server infers the element type from the column, so ids of any type (uuid, bigint) match.
/// (A wrapper, not a conformance of Array: `[UInt8]` already means bytea.)
public struct PostgresArray<Element: PostgresEncodable>: PostgresEncodable {
    public let elements: [Element]

    public init(_ elements: [Element]) {
        self.elements = elements
    }

    public var postgresText: String? {
        // This runs unspecialized (callers hold `any PostgresEncodable`): elements are walked by
        // index, not enumerated() (a tuple's metadata looked up per element), and the bytes are
        // scanned by the non-generic PostgresArrayLiteral.
        var literal: [UInt8] = [UInt8(ascii: "{")]
        for index in elements.indices {
            if index > elements.startIndex { literal.append(UInt8(ascii: ",")) }
            guard var text = elements[index].postgresText else {
                literal.append(contentsOf: "NULL".utf8)
                continue
            }
            text.withUTF8 { PostgresArrayLiteral.appendQuoted($0, to: &literal) }
        }
        literal.append(UInt8(ascii: "}"))
        return String(decoding: literal, as: UTF8.self)
    }
}

/// The element quoting of an array literal, outside the generic type: apply sends thousands of
/// elements per statement (evidence, audit content), and a byte loop inside the generic getter
/// runs unspecialized (it was a third of apply's own CPU under its row locks).
enum PostgresArrayLiteral {
    /// `"text"` with `"` and `\` escaped; unescaped runs are copied whole.
    static func appendQuoted(_ bytes: UnsafeBufferPointer<UInt8>, to literal: inout [UInt8]) {
        literal.append(UInt8(ascii: "\""))
        var start = 0
        var offset = 0
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                literal.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<offset]))
                literal.append(UInt8(ascii: "\\"))
                start = offset
            }
            offset += 1
        }
        literal.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        literal.append(UInt8(ascii: "\""))
    }
}

/// A one-dimensional `text[]` parameter in PostgreSQL's binary format (array_recv's): each
/// element's bytes as they are after their length, nothing quoted or escaped. Apply's evidence and
/// audit columns are JSON, a `"` every few bytes: as text literals, quoting and copying them cost
/// apply about 1.4 s of its 20 s of client CPU at 1M (and the server's array_in parsed them
/// back), some of it under the audit lock. Rendered once, when made (apply makes a batch's before its transaction begins). Only for
/// a parameter the statement reads as `text[]` (`$1::text[]`): the server reads the bytes as the
/// parameter's type, and refuses another element type.
public struct PostgresTextArray: PostgresEncodable, Sendable {
    public let postgresBinary: [UInt8]?

    static let textTypeOID: Int32 = 25

    /// Throws when an element holds a NUL byte, which PostgreSQL text cannot hold.
    public init(_ elements: [String?]) throws {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20 + elements.reduce(0) { $0 + 4 + ($1?.utf8.count ?? 0) })
        func put(_ value: Int32) {
            withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
        }
        // Header: dimensions, whether any element is NULL, the element type; then per dimension
        // its length and lower bound. An empty array has no dimension.
        put(elements.isEmpty ? 0 : 1)
        put(elements.contains { $0 == nil } ? 1 : 0)
        put(Self.textTypeOID)
        if !elements.isEmpty {
            put(Int32(elements.count))
            put(1)
        }
        for (index, element) in elements.enumerated() {
            guard var element else {
                put(-1)
                continue
            }
            try PostgresConnection.rejectNUL(in: element, what: "element \(index + 1) of an array parameter")
            element.withUTF8 { text in
                put(Int32(text.count))
                bytes.append(contentsOf: text)
            }
        }
        postgresBinary = bytes
    }

    /// The same array as a text literal (`{"a",NULL}`), read back from the binary form; libpq is
    /// sent the binary.
    public var postgresText: String? {
        guard let bytes = postgresBinary else { return nil }
        return bytes.withUnsafeBufferPointer { buffer in
            func int32(at offset: Int) -> Int32 {
                buffer[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int32($1) }
            }
            var literal: [UInt8] = [UInt8(ascii: "{")]
            var offset = int32(at: 0) == 0 ? 12 : 20
            while offset < buffer.count {
                if literal.count > 1 { literal.append(UInt8(ascii: ",")) }
                let length = Int(int32(at: offset))
                offset += 4
                if length < 0 {
                    literal.append(contentsOf: "NULL".utf8)
                    continue
                }
                PostgresArrayLiteral.appendQuoted(UnsafeBufferPointer(rebasing: buffer[offset..<(offset + length)]), to: &literal)
                offset += length
            }
            literal.append(UInt8(ascii: "}"))
            return String(decoding: literal, as: UTF8.self)
        }
    }
}
