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

/// An array parameter rendered once, ahead of the statement that sends it (apply renders a batch's
/// evidence column before its transaction begins, so the rows it locks wait for the server only).
public struct PostgresRenderedArray: PostgresEncodable, Sendable {
    public let postgresText: String?

    public init<Element>(_ array: PostgresArray<Element>) {
        postgresText = array.postgresText
    }
}
