import Foundation

/// The last lines of a log file, folded to one line for an error message.
enum LogTail {
    static func lastLines(of path: String, count: Int = 5) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "(no log at \(path))" }
        defer { try? handle.close() }
        // The tail only: server logs can grow large.
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 8192 ? size - 8192 : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        let lines = String(decoding: data, as: UTF8.self)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return lines.isEmpty ? "(\(path) is empty)" : lines.suffix(count).joined(separator: " | ")
    }
}
