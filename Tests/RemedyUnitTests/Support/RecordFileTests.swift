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
    }
}
