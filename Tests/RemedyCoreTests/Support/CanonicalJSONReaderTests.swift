import Foundation
import Rupiah
import Testing
@testable import RemedyCore

/// Every command reads plan lines with CanonicalJSONReader; on real plans' lines it must read what
/// JSONDecoder reads. (Its rules, edit by edit, are RemedyUnitTests' CanonicalJSONReaderTests.)
@Suite("CanonicalJSONReader reads a simulated plan's lines as JSONDecoder does")
struct CanonicalJSONReaderPlanLineTests {
    let decoder = UserFinding.makeDecoder()

    @Test(arguments: ["tripay-double-credit", "balance-drift"])
    func everyLineOfASimulatedPlan(job: String) throws {
        let harness = try PipelineHarness(users: 600, seed: 43, job: job)
        let plan = try harness.plan().plan
        #expect(!plan.adjustments.isEmpty)
        for line in plan.adjustments {
            let bytes = CanonicalJSONWriter.encode(line)
            let read = try #require(bytes.withUnsafeBytes { AdjustmentLine.read($0) })
            #expect(read == line)
            #expect(read == (try decoder.decode(AdjustmentLine.self, from: bytes)))
        }
        for line in plan.holds {
            let bytes = CanonicalJSONWriter.encode(line)
            #expect(bytes.withUnsafeBytes { HeldLine.read($0) } == line)
            #expect(line == (try decoder.decode(HeldLine.self, from: bytes)))
        }
        for line in plan.settled {
            let bytes = CanonicalJSONWriter.encode(line)
            #expect(bytes.withUnsafeBytes { SettledLine.read($0) } == line)
            #expect(line == (try decoder.decode(SettledLine.self, from: bytes)))
        }
    }

    /// Apply books the attribution's bytes as plan.json holds them: they must be the very bytes
    /// the attribution encodes to, line for line.
    @Test func theEvidenceApplyBooksIsTheAttributionsEncoding() throws {
        let harness = try PipelineHarness(users: 600, seed: 44)
        let bundle = try harness.plan()
        let stream = try PlanBundle.readStreaming(bundle.path).adjustments
        try #require(stream.count > 10)
        let lines = try stream.lines(0..<stream.count)
        let evidenced = try stream.linesWithEvidence(0..<stream.count)
        #expect(evidenced.map(\.line) == lines)
        for (line, evidence) in evidenced {
            #expect(evidence == CanonicalJSONWriter.encodeBytes(line.attribution), "\(line.userId)")
        }
    }
}
