/// Reads the rows of `COPY … TO STDOUT (FORMAT binary)` as `copyOut` hands them on, a CopyData
/// message at a time: the first starts with the format's header, each holds one row (a field
/// count, then each field's length and bytes, -1 for NULL), and the last is the trailer (a field
/// count of -1). Nothing is copied: a row's fields point into the message.
public struct PostgresBinaryCopy {
    /// The header's fixed part: "PGCOPY\n\xff\r\n\0", then 32 bits of flags and the extension's length.
    static let signature: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]

    public let columns: Int
    public private(set) var hasEnded = false
    private var hasHeader = false
    /// Each field's start (-1: NULL) and length in the current message, reused row after row.
    private var starts: [Int]
    private var lengths: [Int]

    public init(columns: Int) {
        precondition(columns > 0 && columns < Int(Int16.max))
        self.columns = columns
        starts = Array(repeating: -1, count: columns)
        lengths = Array(repeating: 0, count: columns)
    }

    /// Reads one message and, unless it is the trailer, hands its row to `body`.
    public mutating func read(_ message: UnsafeRawBufferPointer, _ body: (PostgresBinaryRow) throws -> Void) throws {
        guard !hasEnded else { throw PostgresError(kind: .protocolViolation, message: "binary COPY: data after its trailer") }
        var offset = 0
        if !hasHeader {
            let fixed = Self.signature.count + 8
            guard message.count >= fixed, message.prefix(Self.signature.count).elementsEqual(Self.signature) else {
                throw PostgresError(kind: .protocolViolation, message: "binary COPY: the data does not start with its header")
            }
            let extensionLength = Int(Int32(truncatingIfNeeded: bigEndian(message, at: Self.signature.count + 4, bytes: 4)))
            guard extensionLength >= 0, message.count >= fixed + extensionLength else {
                throw PostgresError(kind: .protocolViolation, message: "binary COPY: its header is cut short")
            }
            offset = fixed + extensionLength
            hasHeader = true
        }
        guard message.count >= offset + 2 else { throw PostgresError(kind: .protocolViolation, message: "binary COPY: a row without its field count") }
        let count = Int(Int16(truncatingIfNeeded: bigEndian(message, at: offset, bytes: 2)))
        offset += 2
        if count == -1 {
            hasEnded = true
            return
        }
        guard count == columns else {
            throw PostgresError(kind: .protocolViolation, message: "binary COPY: a row of \(count) fields where \(columns) were expected")
        }
        for field in 0..<columns {
            guard message.count >= offset + 4 else { throw PostgresError(kind: .protocolViolation, message: "binary COPY: a row cut short") }
            let length = Int(Int32(truncatingIfNeeded: bigEndian(message, at: offset, bytes: 4)))
            offset += 4
            if length == -1 {
                starts[field] = -1
                lengths[field] = 0
                continue
            }
            guard length >= 0, message.count >= offset + length else { throw PostgresError(kind: .protocolViolation, message: "binary COPY: a field cut short") }
            starts[field] = offset
            lengths[field] = length
            offset += length
        }
        guard offset == message.count else { throw PostgresError(kind: .protocolViolation, message: "binary COPY: bytes after a row's last field") }
        try starts.withUnsafeBufferPointer { starts in
            try lengths.withUnsafeBufferPointer { lengths in
                try body(PostgresBinaryRow(message: message, starts: starts, lengths: lengths))
            }
        }
    }
}

/// `bytes` bytes at `offset`, most significant first (network byte order), as the low bits of a
/// UInt64: the binary COPY's counts, lengths and fixed-size fields are all read this one way.
func bigEndian(_ buffer: UnsafeRawBufferPointer, at offset: Int, bytes: Int) -> UInt64 {
    precondition((1...8).contains(bytes) && offset + bytes <= buffer.count)
    var value: UInt64 = 0
    for index in offset..<(offset + bytes) { value = value << 8 | UInt64(buffer[index]) }
    return value
}

/// One row of a binary COPY, valid only inside the `read` call that handed it on. Fields are in
/// PostgreSQL's binary send formats (network byte order).
public struct PostgresBinaryRow {
    let message: UnsafeRawBufferPointer
    let starts: UnsafeBufferPointer<Int>
    let lengths: UnsafeBufferPointer<Int>

    /// The field's bytes, nil for NULL.
    public func bytes(_ field: Int) -> UnsafeRawBufferPointer? {
        let start = starts[field]
        guard start >= 0 else { return nil }
        return UnsafeRawBufferPointer(rebasing: message[start..<(start + lengths[field])])
    }

    /// A `bigint`, or a `timestamptz` as microseconds since 2000-01-01 00:00 UTC.
    public func int64(_ field: Int) throws -> Int64? {
        guard let bytes = bytes(field) else { return nil }
        guard bytes.count == 8 else { throw wrongSize(field, bytes.count, 8) }
        return Int64(bitPattern: bigEndian(bytes, at: 0, bytes: 8))
    }

    public func bool(_ field: Int) throws -> Bool? {
        guard let bytes = bytes(field) else { return nil }
        guard bytes.count == 1 else { throw wrongSize(field, bytes.count, 1) }
        return bytes[0] != 0
    }

    /// A `uuid` as its two halves.
    public func uuid(_ field: Int) throws -> (high: UInt64, low: UInt64)? {
        guard let bytes = bytes(field) else { return nil }
        guard bytes.count == 16 else { throw wrongSize(field, bytes.count, 16) }
        return (bigEndian(bytes, at: 0, bytes: 8), bigEndian(bytes, at: 8, bytes: 8))
    }

    private func wrongSize(_ field: Int, _ size: Int, _ expected: Int) -> PostgresError {
        PostgresError(kind: .protocolViolation, message: "binary COPY: field \(field + 1) has \(size) bytes where \(expected) were expected")
    }
}
