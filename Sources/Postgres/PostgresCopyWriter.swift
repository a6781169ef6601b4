/// Writes rows of a `COPY … FROM STDIN` in text format, sending them in chunks.
public struct PostgresCopyWriter {
    /// Buffered bytes are sent once they reach this size.
    static let flushThresholdBytes = 1 << 20

    private let connection: PostgresConnection
    private var buffer: [UInt8] = []

    init(connection: PostgresConnection) {
        self.connection = connection
        buffer.reserveCapacity(Self.flushThresholdBytes + 4096)
    }

    /// One row; nil is NULL. Backslash, tab, newline and carriage return are escaped.
    public mutating func writeRow(_ fields: [String?]) throws {
        guard !fields.isEmpty else {
            throw PostgresError(kind: .copy, message: "a COPY row needs at least one field")
        }
        for (position, field) in fields.enumerated() {
            if position > 0 { buffer.append(UInt8(ascii: "\t")) }
            guard let field else {
                buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
                continue
            }
            try Self.appendEscaped(field, to: &buffer)
        }
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= Self.flushThresholdBytes {
            try flush()
        }
    }

    /// Sends what is buffered.
    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try connection.putCopyData(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    static func appendEscaped(_ field: String, to buffer: inout [UInt8]) throws {
        for byte in field.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\t"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case UInt8(ascii: "\n"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0: throw PostgresError(kind: .copy, message: "a COPY field contains a NUL byte, which PostgreSQL text cannot hold")
            default: buffer.append(byte)
            }
        }
    }
}
