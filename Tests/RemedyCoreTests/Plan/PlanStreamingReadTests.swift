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

    @Test func applyFromAStreamedBundleAppliesEveryLineOnce() throws {
        let harness = try PipelineHarness(users: 400, seed: 37)
        let bundle = try harness.plan()
        try harness.approve(bundle)
        let report = try Applier(spec: harness.spec, streamed: try PlanBundle.readStreaming(bundle.path), connection: harness.connection)
            .apply(operatorKey: harness.keys["andi"]!)
        #expect(report.isComplete && report.applied.count == bundle.plan.adjustments.count)
        #expect(report.applied.map(\.userId) == bundle.plan.adjustments.map(\.userId))
        let again = try Applier(spec: harness.spec, streamed: try PlanBundle.readStreaming(bundle.path), connection: harness.connection)
            .apply(operatorKey: harness.keys["andi"]!)
        #expect(again.applied.isEmpty && again.alreadyApplied.count == bundle.plan.adjustments.count)
    }
}
