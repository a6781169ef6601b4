import Foundation

/// Canonical JSON values on their way into a document's array, without being held: appended
/// comma-separated to a private temporary file (buffered a megabyte at a time), replayed in
/// pieces when the document is written, then removed. Plan spools its lines here, apply its run
/// report's lines.
final class SpoolFile {
    static let bufferSize = 1 << 20

    let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    /// Values appended so far.
    private(set) var count = 0

    /// `anonymous`: the file is unlinked as soon as it is open, so even a process killed with
    /// SIGKILL leaves nothing behind; it is read back through the open handle.
    init(path: String, anonymous: Bool = false) throws {
        self.path = path
        self.handle = try FileHandle.creatingPrivateFile(atPath: path)
        if anonymous { unlink(path) }
        buffer.reserveCapacity(SpoolFile.bufferSize)
    }

    /// One value's canonical JSON, after a comma unless it is the first.
    func append(_ canonicalJSON: [UInt8]) throws {
        if count > 0 { buffer.append(UInt8(ascii: ",")) }
        buffer.append(contentsOf: canonicalJSON)
        count += 1
        if buffer.count >= SpoolFile.bufferSize { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Every value appended, comma-separated, handed to `emit` a megabyte at a time.
    func replay(_ emit: (Data) throws -> Void) throws {
        try flush()
        try handle.seek(toOffset: 0)
        while let chunk = try handle.read(upToCount: SpoolFile.bufferSize), !chunk.isEmpty {
            try emit(chunk)
        }
        try handle.seekToEnd()
    }

    /// Closes and removes the file (an anonymous one is gone once closed).
    func remove() {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: path)
    }
}
