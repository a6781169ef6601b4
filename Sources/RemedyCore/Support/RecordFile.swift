import Foundation

/// A temporary file of records, each a few optional strings, written once and then read back in
/// order as often as needed: what a pass over a million items keeps between steps instead of
/// holding it (remedy evidence's top-ups and checks). Each field is a 4-byte length (-1 for nil)
/// and its UTF-8 bytes; a record is its field count, then its fields. The file is private (0600)
/// and removed by `remove` or when the object goes. Where the system can open an open file again
/// through `/proc/self/fd` (Linux), it is unlinked as soon as it is open, as the plan's spools
/// are: the records name customers' top-ups, and a run killed part way (Ctrl-C, a crash) leaves
/// none of them behind. Each reader opens it again there, with an offset of its own.
final class RecordFile {
    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private(set) var count = 0
    private var removed = false
    /// Where readers open the file: `/proc/self/fd/N` once it is unlinked, else `path`.
    private let readPath: String
    /// Bytes buffered for writing, and read at a time (remedy evidence merges 26 files at once at 1M).
    static let bufferBytes = 1 << 18

    init(path: String) throws {
        self.path = path
        self.handle = try FileHandle.creatingPrivateFile(atPath: path)
        let reopened = "/proc/self/fd/\(handle.fileDescriptor)"
        if FileManager.default.fileExists(atPath: reopened), unlink(path) == 0 {
            readPath = reopened
        } else {
            readPath = path
        }
        buffer.reserveCapacity(Self.bufferBytes)
    }

    deinit {
        remove()
    }

    func append(_ fields: [String?]) throws {
        Self.put(Int32(fields.count), into: &buffer)
        for field in fields {
            guard let field else { Self.put(-1, into: &buffer); continue }
            let bytes = Array(field.utf8)
            Self.put(Int32(bytes.count), into: &buffer)
            buffer.append(contentsOf: bytes)
        }
        count += 1
        if buffer.count >= Self.bufferBytes { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.seekToEnd()
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// A reader from the first record (everything appended so far is flushed first).
    func reader() throws -> Reader {
        // Once removed, /proc/self/fd/N may name another file the process has opened since.
        guard !removed else { throw RemedyError(.invariant, "the temporary file \(path) was read after it was removed") }
        try flush()
        guard let handle = FileHandle(forReadingAtPath: readPath) else { throw RemedyError(.io, "cannot read the temporary file \(path)") }
        return Reader(handle: handle, path: path)
    }

    /// Every record, in the order appended.
    func forEach(_ body: ([String?]) throws -> Void) throws {
        let reader = try reader()
        while let record = try reader.next() { try body(record) }
    }

    func remove() {
        guard !removed else { return }
        removed = true
        try? handle.close()
        if readPath == path { try? FileManager.default.removeItem(atPath: path) }
    }

    private static func put(_ value: Int32, into buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    /// Reads records in order, a buffer at a time; `peek` looks at the next without taking it.
    final class Reader {
        private let handle: FileHandle
        private let path: String
        private var buffer: [UInt8] = []
        private var position = 0
        private var atEnd = false
        private var peeked: [String?]??

        fileprivate init(handle: FileHandle, path: String) {
            self.handle = handle
            self.path = path
        }

        deinit {
            try? handle.close()
        }

        func peek() throws -> [String?]? {
            if let peeked { return peeked }
            let record = try read()
            peeked = .some(record)
            return record
        }

        func next() throws -> [String?]? {
            if let peeked {
                self.peeked = nil
                return peeked
            }
            return try read()
        }

        private func read() throws -> [String?]? {
            guard try available(4) else { return nil }
            let fields = Int(try int32())
            var record: [String?] = []
            record.reserveCapacity(fields)
            for _ in 0..<fields {
                guard try available(4) else { throw truncated() }
                let length = Int(try int32())
                guard length >= 0 else { record.append(nil); continue }
                guard try available(length) else { throw truncated() }
                record.append(String(decoding: buffer[position..<(position + length)], as: UTF8.self))
                position += length
            }
            return record
        }

        private func int32() throws -> Int32 {
            var value: Int32 = 0
            withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: buffer[position..<(position + 4)]) }
            position += 4
            return Int32(littleEndian: value)
        }

        /// Whether `bytes` more are buffered, reading on as needed; false at the end of the file.
        private func available(_ bytes: Int) throws -> Bool {
            while buffer.count - position < bytes {
                guard !atEnd else { return false }
                buffer.removeFirst(position)
                position = 0
                let chunk = try handle.read(upToCount: max(RecordFile.bufferBytes, bytes)) ?? Data()
                if chunk.isEmpty { atEnd = true } else { buffer.append(contentsOf: chunk) }
            }
            return true
        }

        private func truncated() -> RemedyError {
            RemedyError(.io, "the temporary file \(path) ends inside a record; something else wrote to it")
        }
    }
}
