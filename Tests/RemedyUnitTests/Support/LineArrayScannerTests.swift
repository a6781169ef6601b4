import Foundation
import Testing
@testable import RemedyCore

/// The walk both line-array readers share: wherever the reads split the bytes (plan.json is read
/// a MiB at a time, and an element, a string or an escape may straddle the split), it must find
/// the same elements and the same skeleton, with brackets and quotes inside strings taken as text.
@Suite struct LineArrayScannerTests {
    static let document = #"{"a":{"x":[1,{"y":"]"}]},"lines":[{"s":"q\"}]\\","n":[[1],{"t":"{"}],"u":"\\\""},{"e":[]}],"# +
        #""names":["plain","br]ack{et","esc\"aped\\","\\"],"z":"}]"}"#

    struct Walked: Equatable {
        var elements: [String] = []
        var skeleton = ""
    }

    /// The document walked as the readers walk it, `chunkBytes` at a time.
    static func walk(chunkBytes: Int) throws -> Walked {
        var scanner = LineArrayScanner(sections: [("lines", "{"), ("names", "\"")])
        var walked = Walked()
        let bytes = Array(document.utf8)
        for start in stride(from: 0, to: bytes.count, by: chunkBytes) {
            try bytes[start..<min(start + chunkBytes, bytes.count)].withUnsafeBytes { raw in
                var index = 0
                while index < raw.count {
                    let (end, closedSection) = scanner.gatherElement(in: raw, from: index)
                    index = end
                    if let closedSection {
                        walked.elements.append("\(closedSection):" + String(decoding: scanner.element, as: UTF8.self))
                        continue
                    }
                    if index == raw.count { break }
                    _ = try scanner.step(raw[index])
                    index += 1
                }
            }
        }
        #expect(scanner.closed)
        walked.skeleton = String(decoding: scanner.skeleton, as: UTF8.self)
        return walked
    }

    @Test func everySplitOfTheBytesWalksTheSame() throws {
        let whole = try Self.walk(chunkBytes: Self.document.utf8.count)
        #expect(whole.elements == [
            #"0:{"s":"q\"}]\\","n":[[1],{"t":"{"}],"u":"\\\""}"#, #"0:{"e":[]}"#,
            #"1:"plain""#, #"1:"br]ack{et""#, #"1:"esc\"aped\\""#, #"1:"\\""#,
        ])
        #expect(whole.skeleton == #"{"a":{"x":[1,{"y":"]"}]},"lines":[],"names":[],"z":"}]"}"#)
        for chunkBytes in 1..<Self.document.utf8.count {
            #expect(try Self.walk(chunkBytes: chunkBytes) == whole, "read \(chunkBytes) bytes at a time")
        }
    }
}
