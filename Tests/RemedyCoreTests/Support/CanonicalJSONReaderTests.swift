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
}
