/// Reads ASCII fields left to right from a value's UTF-8 bytes.
struct PostgresTextCursor {
    private let bytes: [UInt8]
    private(set) var position = 0

    init(_ text: String) {
        bytes = Array(text.utf8)
    }

    var isAtEnd: Bool { position == bytes.count }

    /// Consumes `character` if it is next.
    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard position < bytes.count, bytes[position] == UInt8(ascii: character) else { return false }
        position += 1
        return true
    }

    mutating func expect(_ character: Unicode.Scalar, in text: String) throws {
        guard take(character) else {
            throw PostgresTimestamp.invalid(text, "expected '\(character)' at offset \(position)")
        }
    }

    mutating func number(digits: Int, in text: String) throws -> Int64 {
        try number(minimumDigits: digits, maximumDigits: digits, in: text)
    }

    /// A run of decimal digits, between the given lengths.
    mutating func number(minimumDigits: Int, maximumDigits: Int, in text: String) throws -> Int64 {
        var value: Int64 = 0
        var count = 0
        while count < maximumDigits, position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) {
            value = value * 10 + Int64(bytes[position] - UInt8(ascii: "0"))
            position += 1
            count += 1
        }
        guard count >= minimumDigits else {
            throw PostgresTimestamp.invalid(text, "expected \(minimumDigits == maximumDigits ? "\(minimumDigits)" : "\(minimumDigits)–\(maximumDigits)") digits at offset \(position)")
        }
        return value
    }
}
