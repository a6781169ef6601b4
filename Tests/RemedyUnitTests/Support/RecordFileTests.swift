import Foundation
import Testing
@testable import RemedyCore

/// The temporary record file remedy evidence keeps its million top-ups in between steps: what is
/// appended is read back, field for field, in order, across buffer boundaries.
@Suite("Record file")
struct RecordFileTests {
    @Test func recordsComeBackAsWrittenAcrossBufferBoundaries() throws {
        let path = NSTemporaryDirectory() + "remedy-records-\(UUID().uuidString)"
        let file = try RecordFile(path: path)
        defer { file.remove() }
        let long = String(repeating: "é\"\\\n", count: RecordFile.bufferBytes / 3)
        var written: [[String?]] = []
        for index in 0..<5_000 {
            let record: [String?] = index % 1_000 == 7 ? [long, nil, ""] : ["\(index)", index % 3 == 0 ? nil : "ref-\(index)", "", "🙂\u{0}"]
            try file.append(record)
            written.append(record)
        }
        #expect(file.count == written.count)
        var read: [[String?]] = []
        try file.forEach { read.append($0) }
        #expect(read == written)
        // Read again, with a look ahead that does not take the record.
        let reader = try file.reader()
        #expect(try reader.peek() == written[0])
        #expect(try reader.next() == written[0])
        #expect(try reader.next() == written[1])
        file.remove()
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(throws: RemedyError.self, "read after removal: its descriptor's number may be another file's by now") { try file.reader() }
    }

    /// remedy evidence's record files name customers' top-ups: nothing of them may have a name
    /// while they are written and read (a kill leaves nothing), and readers side by side (the
    /// check sorter merges up to 26) each keep their own place.
    @Test func nothingIsNamedWhileRecordsAreWrittenAndReadSideBySide() throws {
        let directory = NSTemporaryDirectory() + "remedy-records-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = try RecordFile(path: directory + "/.topups")
        defer { file.remove() }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "unlinked once open")
        let written = (0..<3_000).map { ["user-\($0)", "T\($0)"] as [String?] }
        for record in written { try file.append(record) }
        let first = try file.reader()
        let second = try file.reader()
        #expect(try first.next() == written[0])
        #expect(try first.next() == written[1])
        #expect(try second.next() == written[0], "a second reader starts at the first record, whatever the first has read")
        var rest: [[String?]] = []
        while let record = try first.next() { rest.append(record) }
        #expect(rest == Array(written[2...]))
        #expect(try second.next() == written[1])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "still nothing named after reading")
    }
}
