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

    @Test(arguments: ["tripay-double-credit", "balance-drift"])
    func aSpooledPlanIsTheSamePlanAndTheSameSummary(job: String) throws {
        let harness = try PipelineHarness(users: 400, seed: 17, job: job)
        let planner = Planner(spec: harness.spec, parameters: try harness.parameters, plannerKey: harness.keys["andi"]!, connection: harness.connection)
        let whole = try planner.makePlan()
        let spoolDirectory = harness.directory + "/spool"
        let spooled = try planner.spool(in: spoolDirectory, previewLines: 7)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDirectory).isEmpty, "the spool's files are unlinked once open: nothing to leave behind")
        let written = try PlanRecorder(connection: harness.connection, plannerKey: harness.keys["andi"]!).write(spooled, outDirectory: harness.directory + "/spooled", defaultParent: harness.directory)
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDirectory).isEmpty, "the spool is removed")

        let read = try PlanBundle.read(written.path)
        #expect(read.digest == written.digest)
        var expected = whole
        expected.snapshotAt = read.plan.snapshotAt
        expected.expiresAt = read.plan.expiresAt
        #expect(try CanonicalJSON.encode(read.plan) == CanonicalJSON.encode(expected), "the same lines, evidence and totals")
        #expect(read.plan.totals == written.header.totals)
        #expect(written.header.adjustments.isEmpty && written.header.holds.isEmpty && written.header.settled.isEmpty)
        #expect(PlanSummary(written: written).lines == PlanSummary(bundle: read, maxLines: 7).lines)
        #expect(try !harness.connection.query("SELECT 1 FROM remedy.plans WHERE digest = $1", [written.digest]).isEmpty, "recorded")

        let discarded = try planner.spool(in: spoolDirectory, previewLines: 7)
        discarded.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: spoolDirectory).isEmpty)
    }
}
