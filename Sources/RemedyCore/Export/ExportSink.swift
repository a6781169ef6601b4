import Foundation

/// Where an export's bytes go as they are made: a file (written beside its final name and renamed
/// into place when complete, so a reader never sees half an export), a stream such as stdout, or
/// memory (tests, small uses). At most `bufferBytes` wait in memory.
public final class ExportSink {
    /// Bytes gathered before they are written.
    static let bufferBytes = 1 << 20

    private enum Target {
        case file(handle: FileHandle, temporary: String, final: String)
        /// Handed on in pieces cut after a newline (`wholeLines`) or after an ASCII byte (never inside a UTF-8 character).
        case stream(wholeLines: Bool, emit: (Data) -> Void)
        case memory
    }

    private let target: Target
    private var buffer = Data()
    private var finished = false
    /// Every byte written so far.
    public private(set) var bytes = 0

    private init(target: Target) {
        self.target = target
    }

    /// Writes `path` when `finish` is called; until then the bytes go to a temporary file beside it.
    public static func file(_ path: String) throws -> ExportSink {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.lowercased()).tmp").path
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw RemedyError(.io, "cannot write \(path): cannot create a file in \(url.deletingLastPathComponent().path)")
        }
        return ExportSink(target: .file(handle: handle, temporary: temporary, final: path))
    }

    public static func stream(wholeLines: Bool, emit: @escaping (Data) -> Void) -> ExportSink {
        ExportSink(target: .stream(wholeLines: wholeLines, emit: emit))
    }

    public static func memory() -> ExportSink {
        ExportSink(target: .memory)
    }

    deinit {
        // Never finished (an error on the way): no partial file is left behind.
        if !finished, case .file(let handle, let temporary, _) = target {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
        }
    }

    public func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        bytes += text.utf8.count
        if buffer.count >= ExportSink.bufferBytes { try flush(final: false) }
    }

    public func write(_ data: Data) throws {
        buffer.append(data)
        bytes += data.count
        if buffer.count >= ExportSink.bufferBytes { try flush(final: false) }
    }

    /// Everything written, for a memory sink.
    public var data: Data { buffer }

    /// Writes what is left; a file is then renamed to its final name.
    public func finish() throws {
        try flush(final: true)
        finished = true
        if case .file(let handle, let temporary, let final) = target {
            do {
                try handle.close()
                guard rename(temporary, final) == 0 else { throw RemedyError(.io, String(cString: strerror(errno))) }
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw RemedyError(.io, "cannot write \(final): \(error.localizedDescription)")
            }
        }
    }

    private func flush(final: Bool) throws {
        switch target {
        case .memory:
            return
        case .file(let handle, _, let path):
            do { try handle.write(contentsOf: buffer) } catch {
                throw RemedyError(.io, "cannot write \(path): \(error.localizedDescription)")
            }
            buffer.removeAll(keepingCapacity: true)
        case .stream(let wholeLines, let emit):
            let cut = final ? buffer.endIndex : (buffer.lastIndex { wholeLines ? $0 == 0x0A : $0 < 0x80 }.map { $0 + 1 } ?? buffer.startIndex)
            guard cut > buffer.startIndex else { return }
            emit(buffer[buffer.startIndex..<cut])
            buffer = Data(buffer[cut...])
        }
    }
}
