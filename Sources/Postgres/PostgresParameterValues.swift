import CLibPQ
import Foundation

/// A statement's parameters as libpq takes them, checked for what the protocol cannot carry: each
/// value's text as a C string, or its binary form (`PostgresEncodable.postgresBinary`) with its
/// length. The copies live as long as this does.
final class PostgresParameterValues {
    private let buffers: [UnsafeMutablePointer<CChar>?]
    /// Per parameter: the binary form's length (0 for text, which ends at its NUL).
    private let lengths: [Int32]
    /// Per parameter: 1 binary, 0 text.
    private let formats: [Int32]

    init(_ sql: String, _ parameters: [any PostgresEncodable]) throws {
        try PostgresConnection.rejectNUL(in: sql, what: "the statement")
        guard parameters.count <= Int(UInt16.max) else {
            throw PostgresError(kind: .protocolViolation, message: "\(parameters.count) parameters; the protocol allows at most \(UInt16.max)")
        }
        var buffers: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        // Freed here if a later parameter is refused, by deinit otherwise.
        var complete = false
        defer { if !complete { buffers.forEach { free($0) } } }
        for (position, parameter) in parameters.enumerated() {
            if let binary = parameter.postgresBinary {
                guard binary.count <= Int(Int32.max) else {
                    throw PostgresError(kind: .protocolViolation, message: "parameter $\(position + 1) is larger than the protocol carries")
                }
                let copy = malloc(max(binary.count, 1))!.assumingMemoryBound(to: CChar.self)
                binary.withUnsafeBytes { UnsafeMutableRawPointer(copy).copyMemory(from: $0.baseAddress!, byteCount: binary.count) }
                buffers.append(copy)
                lengths.append(Int32(binary.count))
                formats.append(1)
            } else {
                let text = parameter.postgresText
                if let text { try PostgresConnection.rejectNUL(in: text, what: "parameter $\(position + 1)") }
                buffers.append(text.flatMap { strdup($0) })
                lengths.append(0)
                formats.append(0)
            }
        }
        complete = true
        self.buffers = buffers
        self.lengths = lengths
        self.formats = formats
    }

    deinit {
        buffers.forEach { free($0) }
    }

    /// `body` with libpq's nParams, paramValues, paramLengths and paramFormats (nil for the last
    /// two when every parameter is text, as libpq then expects).
    func withLibPQArrays<T>(_ body: (Int32, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) throws -> T) rethrows -> T {
        let values: [UnsafePointer<CChar>?] = buffers.map { $0.map { UnsafePointer($0) } } + [nil]
        let anyBinary = formats.contains(1)
        return try values.withUnsafeBufferPointer { values in
            try lengths.withUnsafeBufferPointer { lengths in
                try formats.withUnsafeBufferPointer { formats in
                    try body(Int32(buffers.count), values.baseAddress, anyBinary ? lengths.baseAddress : nil, anyBinary ? formats.baseAddress : nil)
                }
            }
        }
    }
}
