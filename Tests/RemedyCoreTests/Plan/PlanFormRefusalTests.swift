import Crypto
import Foundation
import Testing
@testable import RemedyCore

/// The plan reader's walk of plan.json refuses a document whose shape is not remedy's, naming the
/// byte and what is wrong there, the same way for `read` and `readStreaming`. These faults are
/// found while walking, before the plan's fields are decoded or its signature checked, so a bare
/// plan.json with a matching plan.sha256 is enough (no database).
@Suite("Plan reader: a document not in remedy's shape is refused at its byte")
struct PlanFormRefusalTests {
    /// A settled line as remedy writes it (the smallest line there is).
    static func settled(_ userId: String, label: String = "L") -> String {
        String(decoding: CanonicalJSONWriter.encode(SettledLine(userId: userId, label: label, candidateTopUps: 0, note: "n")), as: UTF8.self)
    }

    /// Where `needle` starts in `text` (its `occurrence`th time, from 1), in bytes.
    static func offset(of needle: String, in text: String, occurrence: Int = 1) -> Int {
        var from = text.startIndex
        var found = text.startIndex
        for _ in 0..<occurrence {
            let range = text.range(of: needle, range: from..<text.endIndex)!
            found = range.lowerBound
            from = range.upperBound
        }
        return text.utf8.distance(from: text.startIndex, to: found)
    }

    @Test(arguments: [
        // (what, document, where: the `occurrence`th start of `marker` (nil: the document's end), what the refusal says there)
        ("a bracket before anything opened", "}", "}", 1, "a bracket closes what was never opened"),
        ("a line array twice (brackets in a string are none)", #"{"job":"]]","adjustments":[],"adjustments":[]}"#, "[", 2,
         #""adjustments" appears twice"#),
        ("a comma first in a line array", #"{"adjustments":[,"#, ",", 1, #""," where remedy writes "{" or "]" in "adjustments""#),
        ("a string where a line belongs", #"{"holds":["x"]}"#, #""x""#, 1, #"""" where remedy writes "{" or "]" in "holds""#),
        ("whitespace after a line", #"{"settled":["# + settled("u1") + " ]}", " ", 1, #"byte 0x20 where remedy writes "," or "]" in "settled""#),
        ("a comma before the end", #"{"settled":["# + settled("u1") + ",]}", "]}", 1, #""]" where remedy writes "{" in "settled""#),
        ("bytes after the end", #"{"adjustments":[],"holds":[],"settled":[]}x"#, "x", 1, "bytes follow the end of the plan"),
        ("the document cut short", #"{"adjustments":[],"holds":["#, nil, 0, "the document ends before the plan does"),
        ("a line array missing", #"{"adjustments":[],"settled":[]}"#, nil, 0, "it lacks the holds array"),
        // Brackets and an escaped quote inside a line's strings end nothing: the second line is
        // the one named, where it starts.
        ("the same user twice", #"{"settled":["# + settled("u1", label: #"a\"]},{"#) + "," + settled("u1") + "]}", #"{"candidate_top_ups""#, 2,
         "settled line 2 names a user who already has a line in this plan"),
    ] as [(String, String, String?, Int, String)])
    func refusedAtItsByte(what: String, document: String, marker: String?, occurrence: Int, says: String) throws {
        let directory = try Self.bundle(holding: document)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let offset = marker.map { Self.offset(of: $0, in: document, occurrence: occurrence) } ?? document.utf8.count
        let expected = RemedyError(.tampered, "\(directory)/plan.json is not a remedy plan in remedy's canonical form: at byte \(offset), \(says); remedy never writes such a file: make a new plan")
        #expect(throws: expected, "\(what): read") { try PlanBundle.read(directory) }
        #expect(throws: expected, "\(what): readStreaming") { try PlanBundle.readStreaming(directory) }
    }

    /// A plan a newer remedy wrote (another format, fields this one does not know) is named by its
    /// format, not as a forgery; a field out of place in a plan of this format is still refused at
    /// its byte (19: the "f" of "format", where remedy writes "database").
    @Test func aPlanOfAnotherFormatIsNamedByItsFormat() throws {
        for (format, says) in [("remedy-plan/v3", "is format remedy-plan/v3; this remedy reads remedy-plan/v2 and remedy-plan/v1"),
                               (Plan.currentFormat, "canonical form: at byte 19, the plan's fields differ")] {
            let document = #"{"adjustments":[],"format":""# + format + #"","holds":[],"new_field":1,"settled":[]}"#
            let directory = try Self.bundle(holding: document)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let error = #expect(throws: RemedyError.self) { try PlanBundle.read(directory) }
            #expect(error?.message.contains(says) == true, "\(format): \(String(describing: error))")
        }
    }

    /// A bundle directory holding `document` as plan.json and its digest line.
    static func bundle(holding document: String) throws -> String {
        let directory = NSTemporaryDirectory() + "remedy-plan-form-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let bytes = Data(document.utf8)
        try bytes.write(to: URL(fileURLWithPath: directory + "/" + PlanBundle.planFile))
        try PlanBundle.digestLine(SHA256.hash(data: bytes).hexString).write(to: URL(fileURLWithPath: directory + "/" + PlanBundle.digestFile))
        return directory
    }
}
