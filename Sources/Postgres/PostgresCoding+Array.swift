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
        var literal = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { literal += "," }
            guard let text = element.postgresText else {
                literal += "NULL"
                continue
            }
            literal += "\""
            for character in text.unicodeScalars {
                if character == "\"" || character == "\\" { literal += "\\" }
                literal.unicodeScalars.append(character)
            }
            literal += "\""
        }
        return literal + "}"
    }
}
