import Crypto
import Foundation
import Testing
@testable import RemedyCore

/// Apply reads plan.json a batch at a time; what it reads, and what it refuses, must be what
/// PlanBundle.read reads and refuses.
@Suite("plan.json read for apply, a batch at a time")
struct PlanStreamingReadTests {
    @Test(arguments: ["tripay-double-credit", "balance-drift"])
    func theSameHeaderAndTheSameAdjustments(job: String) throws {
        let harness = try PipelineHarness(users: 400, seed: 31, job: job)
        let bundle = try harness.plan()
        let whole = try PlanBundle.read(bundle.path)
        let streamed = try PlanBundle.readStreaming(bundle.path)
        #expect(streamed.bundle.digest == whole.digest && streamed.bundle.path == whole.path)
        var header = whole.plan
        header.adjustments = []
        header.holds = []
        header.settled = []
        #expect(try CanonicalJSON.encode(streamed.bundle.plan) == CanonicalJSON.encode(header))
        #expect(streamed.adjustments.count == whole.plan.adjustments.count)
        #expect(try streamed.adjustments.all() == whole.plan.adjustments)
        // Any batch, in any order, reads the same lines.
        let count = whole.plan.adjustments.count
        for range in [0..<0, 0..<1, 3..<min(count, 40), (count - 1)..<count, 0..<count] where range.upperBound <= count && range.lowerBound >= 0 {
            #expect(try streamed.adjustments.lines(range) == Array(whole.plan.adjustments[range]))
        }
    }

    @Test func whatReadRefusesReadStreamingRefusesTheSameWay() throws {
        let harness = try PipelineHarness(users: 300, seed: 5)
        let original = try harness.plan()
        let planFile = original.path + "/plan.json"
        let digestFile = original.path + "/plan.sha256"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: planFile))
        let digestLine = try Data(contentsOf: URL(fileURLWithPath: digestFile))

        func expectSameRefusal(_ what: String) {
            let whole = Result { try PlanBundle.read(original.path) }
            let streamed = Result { try PlanBundle.readStreaming(original.path) }
            switch (whole, streamed) {
            case (.failure(let a), .failure(let b)): #expect("\(a)" == "\(b)", "\(what)")
            default: Issue.record("\(what): read \(whole), readStreaming \(streamed)")
            }
        }
        // One byte changed in a hold, in an adjustment, in the header.
        for needle in ["\"holds\":[{", "\"adjustments\":[{", "\"job\":\""] {
            let range = try #require(bytes.range(of: Data(needle.utf8)))
            var changed = bytes
            changed[range.upperBound + 2] ^= 0x01
            try changed.write(to: URL(fileURLWithPath: planFile))
            expectSameRefusal("a byte changed after \(needle)")
        }
        try bytes.write(to: URL(fileURLWithPath: planFile))
        try Data("0000\n".utf8).write(to: URL(fileURLWithPath: digestFile))
        expectSameRefusal("plan.sha256 altered")
        try FileManager.default.removeItem(atPath: digestFile)
        expectSameRefusal("plan.sha256 missing")
        try FileManager.default.removeItem(atPath: planFile)
        expectSameRefusal("plan.json missing")
        // A document with a matching digest that is not a plan.
        let notAPlan = Data(#"{"adjustments":[{"x":1}],"holds":[],"settled":[]}"#.utf8)
        try notAPlan.write(to: URL(fileURLWithPath: planFile))
        try Data("\(SHA256.hash(data: notAPlan).hexString)  plan.json\n".utf8).write(to: URL(fileURLWithPath: digestFile))
        #expect(throws: RemedyError.self) { try PlanBundle.readStreaming(original.path) }
        #expect(throws: RemedyError.self) { try PlanBundle.read(original.path) }
        try bytes.write(to: URL(fileURLWithPath: planFile))
        try digestLine.write(to: URL(fileURLWithPath: digestFile))
        #expect(try PlanBundle.readStreaming(original.path).adjustments.count == original.plan.adjustments.count)
    }

    /// Elements are checked in groups on every core; with several faults in a plan the refusal
    /// must still name the first in the file, as checking each element as it ended did.
    @Test func theFirstFaultInTheFileIsTheOneNamed() throws {
        let harness = try PipelineHarness(users: 400, seed: 47)
        let bundle = try harness.plan()
        let count = bundle.plan.adjustments.count
        try #require(count >= 25)
        let edited = try EditedPlan(bundle)
        let original = edited.original
        func refusals() -> (whole: String, streamed: String) {
            ("\(Result { try PlanBundle.read(bundle.path) })", "\(Result { try PlanBundle.readStreaming(bundle.path) })")
        }
        // Adjustment 3 gets a space after its "{" (read, but not canonical); later faults follow.
        var spaced = original
        try edited.insertSpace(intoAdjustment: 3, of: &spaced)
        let laterFaults: [(String, (inout Data) throws -> Void)] = [
            ("a separator remedy never writes after adjustment 20", { try edited.breakSeparator(beforeAdjustment: 21, of: &$0) }),
            ("adjustment 22 not a line", { bytes in
                // A required member renamed: read, it is not a line at all.
                let at = try edited.elementStart(22, in: bytes)
                bytes.replaceSubrange(at..<(at + 12), with: Data(#"{"ambiguoux""#.utf8))
            }),
            ("nothing else", { _ in }),
        ]
        for (what, fault) in laterFaults {
            var bytes = spaced
            try fault(&bytes)
            try edited.rewrite(bytes)
            let (whole, streamed) = refusals()
            #expect(whole.contains("adjustment 3 differs from its canonical encoding"), "\(what): \(whole)")
            #expect(whole == streamed, "\(what)")
        }
        // The later fault alone is what is named once adjustment 3 is as remedy wrote it.
        var alone = original
        try laterFaults[1].1(&alone)
        try edited.rewrite(alone)
        #expect(refusals().whole.contains("adjustment 22 differs from its canonical encoding"))
        try edited.rewrite(original)
        #expect(try PlanBundle.readStreaming(bundle.path).adjustments.count == count)
    }

    /// The elements are checked a group at a time while the next group is gathered (512 elements
    /// a group in PlanBundle+Reading.swift). A fault in one group must still be named before a
    /// fault the scanner meets, or a check finds, in a later group, whichever is found first.
    @Test func aFaultInAnEarlierGroupIsNamedBeforeLaterGroupsFaults() throws {
        let group = 512
        let harness = try PipelineHarness(users: 12_000, seed: 53)
        let bundle = try harness.plan()
        try #require(bundle.plan.adjustments.count > 3 * group, "the plan must span more than three groups")
        let edited = try EditedPlan(bundle)
        let original = edited.original
        func refusal() -> String { "\(Result { try PlanBundle.readStreaming(bundle.path) })" }
        // Not canonical, found by a group's check.
        func spaced(_ n: Int) -> (inout Data) throws -> Void { { try edited.insertSpace(intoAdjustment: n, of: &$0) } }
        // The scanner's own fault.
        func badSeparator(before n: Int) -> (inout Data) throws -> Void { { try edited.breakSeparator(beforeAdjustment: n, of: &$0) } }
        let cases: [(first: Int, later: (inout Data) throws -> Void, what: String)] = [
            (group, badSeparator(before: group + 10), "the last element of the first group, then the scanner in the second"),
            (group + 5, badSeparator(before: group + 10), "the second group, then the scanner in the same group"),
            (group + 5, badSeparator(before: 2 * group + 10), "the second group, then the scanner in the third"),
            (group + 5, spaced(2 * group + 3), "the second group, then a check in the third"),
            (3, spaced(3 * group + 1), "the first group, then a check in the fourth"),
            (2 * group + 7, { _ in }, "the third group alone"),
        ]
        for (first, later, what) in cases {
            var bytes = original
            // The later fault first, so the earlier element's offset is found in the bytes as changed.
            try later(&bytes)
            try spaced(first)(&bytes)
            try edited.rewrite(bytes)
            let named = refusal()
            #expect(named.contains("adjustment \(first) differs from its canonical encoding"), "\(what): \(named)")
        }
        try edited.rewrite(original)
        #expect(try PlanBundle.readStreaming(bundle.path).adjustments.count == bundle.plan.adjustments.count)
    }

    /// No copy of the lines is taken: they are read again from plan.json's descriptor, so a line
    /// changed in place after the check (the same file, written to) must be refused, naming it,
    /// while a file put in plan.json's place (a rename) is not what is read at all.
    @Test func aLineChangedAfterTheCheckIsRefusedNotRead() throws {
        let harness = try PipelineHarness(users: 400, seed: 41)
        let bundle = try harness.plan()
        let count = bundle.plan.adjustments.count
        try #require(count >= 10)
        let planFile = bundle.path + "/plan.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: planFile))
        let changed = 6
        let element = try #require(original.range(of: CanonicalJSONWriter.encode(bundle.plan.adjustments[changed])))
        // A character of the user id: the line still reads, for another user.
        let at = try #require(original.range(of: Data(#""user_id":""#.utf8), in: element)).upperBound
        func overwrite(_ byte: UInt8, at offset: Int) throws {
            let handle = try #require(FileHandle(forUpdatingAtPath: planFile))
            try handle.seek(toOffset: UInt64(offset))
            try handle.write(contentsOf: [byte])
            try handle.close()
        }

        let streamed = try PlanBundle.readStreaming(bundle.path)
        try overwrite(Self.otherHexDigit(original[at]), at: at)
        #expect(try streamed.adjustments.lines(0..<changed) == Array(bundle.plan.adjustments[0..<changed]))
        let refusal = #expect(throws: RemedyError.self) { try streamed.adjustments.lines(0..<count) }
        #expect(refusal?.code == .tampered)
        #expect(refusal?.message.contains("adjustment \(changed + 1) is no longer the bytes that were checked") == true, "\(String(describing: refusal))")
        try overwrite(original[at], at: at)
        #expect(try streamed.adjustments.lines(0..<count) == bundle.plan.adjustments)

        // Cut short: the lines past the cut are refused.
        try FileHandle(forUpdatingAtPath: planFile)!.truncate(atOffset: UInt64(element.lowerBound + 5))
        #expect(throws: RemedyError.self) { try streamed.adjustments.lines((changed)..<count) }
        // Read from a line before the cut: the refusal names the first line the file lost.
        let cut = #expect(throws: RemedyError.self) { try streamed.adjustments.lines(0..<count) }
        #expect(cut?.message.contains("adjustment \(changed + 1) is no longer the bytes that were checked") == true, "\(String(describing: cut))")
        try original.write(to: URL(fileURLWithPath: planFile))

        // Another file renamed into plan.json's place: the open file is still the one checked.
        let again = try PlanBundle.readStreaming(bundle.path)
        var other = original
        other[at] = Self.otherHexDigit(original[at])
        try other.write(to: URL(fileURLWithPath: planFile), options: .atomic)
        #expect(try again.adjustments.lines(0..<count) == bundle.plan.adjustments)
        try original.write(to: URL(fileURLWithPath: planFile), options: .atomic)
    }

    /// Apply stops at the changed line: the batches before it are applied, the changed one and
    /// every later one are not.
    @Test func applyStopsAtALineChangedAfterTheCheck() throws {
        let harness = try PipelineHarness(users: 400, seed: 43)
        let bundle = try harness.plan()
        try harness.approve(bundle)
        let planFile = bundle.path + "/plan.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: planFile))
        let line = try #require(bundle.plan.adjustments.first)
        let element = try #require(original.range(of: CanonicalJSONWriter.encode(line)))
        let at = try #require(original.range(of: Data(#""user_id":""#.utf8), in: element)).upperBound
        let streamed = try PlanBundle.readStreaming(bundle.path)
        let handle = try #require(FileHandle(forUpdatingAtPath: planFile))
        try handle.seek(toOffset: UInt64(at))
        try handle.write(contentsOf: [Self.otherHexDigit(original[at])])
        try handle.close()
        let refusal = #expect(throws: RemedyError.self) {
            try Applier(spec: harness.spec, streamed: streamed, connection: harness.connection).apply(operatorKey: harness.keys["andi"]!)
        }
        #expect(refusal?.code == .tampered, "\(String(describing: refusal))")
        let booked = try harness.connection.query("SELECT count(*)::int FROM remedy.entries")[0].decode(0, as: Int.self)
        #expect(booked == 0)
    }

    /// A user id's first character changed to another that keeps it an id.
    static func otherHexDigit(_ byte: UInt8) -> UInt8 {
        byte == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
    }

    @Test func applyFromAStreamedBundleAppliesEveryLineOnce() throws {
        let harness = try PipelineHarness(users: 400, seed: 37)
        let bundle = try harness.plan()
        try harness.approve(bundle)
        let report = try Applier(spec: harness.spec, streamed: try PlanBundle.readStreaming(bundle.path), connection: harness.connection)
            .apply(operatorKey: harness.keys["andi"]!)
        #expect(report.isComplete && report.counts.applied == bundle.plan.adjustments.count)
        #expect(try report.lines().applied.map(\.userId) == bundle.plan.adjustments.map(\.userId))
        let again = try Applier(spec: harness.spec, streamed: try PlanBundle.readStreaming(bundle.path), connection: harness.connection)
            .apply(operatorKey: harness.keys["andi"]!)
        #expect(again.counts.applied == 0 && again.counts.alreadyApplied == bundle.plan.adjustments.count)
    }
}

/// A planned bundle's plan.json edited in place, its digest file kept matching, so that what is
/// refused is the edit's form and not a changed digest.
private struct EditedPlan {
    let bundle: PlanBundle
    let original: Data

    init(_ bundle: PlanBundle) throws {
        self.bundle = bundle
        original = try Data(contentsOf: URL(fileURLWithPath: bundle.path + "/" + PlanBundle.planFile))
    }

    /// Where adjustment n (from 1) starts in `bytes`: its bytes are its line's canonical encoding.
    func elementStart(_ n: Int, in bytes: Data) throws -> Int {
        try #require(bytes.range(of: CanonicalJSONWriter.encode(bundle.plan.adjustments[n - 1]))).lowerBound
    }

    /// Adjustment n read, but not canonical: a space after its "{".
    func insertSpace(intoAdjustment n: Int, of bytes: inout Data) throws {
        bytes.insert(UInt8(ascii: " "), at: try elementStart(n, in: bytes) + 1)
    }

    /// A separator remedy never writes ("} ,") before adjustment n: the scanner's own fault.
    func breakSeparator(beforeAdjustment n: Int, of bytes: inout Data) throws {
        let at = try elementStart(n, in: bytes)
        bytes.replaceSubrange((at - 2)..<at, with: Data("} ,".utf8))
    }

    func rewrite(_ bytes: Data) throws {
        try bytes.write(to: URL(fileURLWithPath: bundle.path + "/" + PlanBundle.planFile))
        try PlanBundle.digestLine(SHA256.hash(data: bytes).hexString).write(to: URL(fileURLWithPath: bundle.path + "/" + PlanBundle.digestFile))
    }
}
