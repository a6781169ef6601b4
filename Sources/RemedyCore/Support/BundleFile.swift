import Foundation

/// A small file of a plan bundle (plan.sha256, planner.json, an approval, a gateway answer) read
/// whole, and refused by name unless it is a regular file (FileManager's read gave nil for a FIFO
/// or a device, reported as missing) no larger than any such file remedy writes (FileManager read
/// a file of any size whole). A bundle is handed around by people: its files are hostile input.
enum BundleFile {
    /// The file's bytes, or nil when it does not exist (or cannot be opened: the caller's message
    /// for a missing file applies). Refuses, in one line, what is not a regular file or is larger
    /// than `maxBytes`; `what` names the file in that refusal ("approval file").
    static func contents(atPath path: String, maxBytes: Int, what: String) throws(RemedyError) -> Data? {
        // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw RemedyError(.tampered, "\(what) \(path) is not a regular file; remedy writes only files there: restore the bundle from its original")
        }
        let size = Int(status.st_size)
        guard size <= maxBytes else {
            throw RemedyError(.tampered, "\(what) \(path) is \(size) bytes, larger than any remedy writes (at most \(maxBytes)): restore the bundle from its original")
        }
        // One byte more than the size: a file grown past the bound since fstat is refused, and
        // nothing past the bound is read (one grown less reads cut short; its digest or form refuses it).
        var data = Data(count: size + 1)
        var filled = 0
        let complete = data.withUnsafeMutableBytes { buffer -> Bool in
            // Bounded: each pass reads at least a byte or ends.
            while filled < buffer.count {
                let count = read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
                if count < 0, errno == EINTR { continue }
                guard count >= 0 else { return false }
                if count == 0 { return true }
                filled += count
            }
            return true
        }
        guard complete else { return nil }
        guard filled <= maxBytes else {
            throw RemedyError(.tampered, "\(what) \(path) grew past \(maxBytes) bytes while it was read: restore the bundle from its original")
        }
        data.count = filled
        return data
    }
}
