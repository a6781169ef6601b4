import Crypto
import Foundation
import Testing
@testable import RemedyCore

/// plan.json is streamed line by line; it must stay the very bytes CanonicalJSON.encode(plan) gives.
@Suite("plan.json streamed, byte for byte")
struct PlanDocumentWriterTests {
    @Test func aSimulatedPlanIsWrittenAsCanonicalJSONEncodesIt() throws {
        let harness = try PipelineHarness(users: 300, seed: 5)
        let bundle = try harness.plan()
        #expect(!bundle.plan.adjustments.isEmpty && !bundle.plan.holds.isEmpty && !bundle.plan.settled.isEmpty)
        let written = try Data(contentsOf: URL(fileURLWithPath: bundle.path + "/plan.json"))
        let whole = try CanonicalJSON.encode(bundle.plan)
        #expect(written == whole)
        #expect(SHA256.hash(data: whole).hexString == bundle.digest)
        // And it reads back as the same plan.
        let read = try PlanBundle.read(bundle.path)
        #expect(try CanonicalJSON.encode(read.plan) == whole)
    }

    @Test func awkwardTextAndEmptyOrSingleArraysStayIdentical() throws {
        let harness = try PipelineHarness(users: 300, seed: 5)
        var plan = try harness.plan().plan
        let awkward = "quote\" back\\slash /slash \u{1}\u{8}\u{c}\n\r\t\u{1f} é 漢字 🙂 \u{2028} \"holds\":[] ,\"settled\":[]"
        plan.adjustments[0].label = awkward
        plan.adjustments[0].contact = nil
        plan.holds[0].explanation = awkward
        plan.settled[0].note = awkward
        plan.parameters["holds"] = "[]"
        plan.parameters["adjustments\":[]"] = awkward
        for variant in [plan, { var p = plan; p.adjustments = []; return p }(), { var p = plan; p.holds = Array(p.holds.prefix(1)); p.settled = []; return p }()] {
            var pieces = Data()
            try PlanDocumentWriter.encode(variant) { pieces.append($0) }
            #expect(pieces == (try CanonicalJSON.encode(variant)))
        }
        let path = harness.directory + "/awkward.json"
        let digest = try PlanDocumentWriter.write(plan, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes == (try CanonicalJSON.encode(plan)))
        #expect(digest == SHA256.hash(data: bytes).hexString)
    }
}
