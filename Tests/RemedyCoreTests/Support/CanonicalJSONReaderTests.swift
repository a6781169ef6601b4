import Foundation
import Rupiah
import Testing
@testable import RemedyCore

/// Apply decodes adjustments with CanonicalJSONReader; what it reads must be what JSONDecoder
/// reads, and whatever it cannot read exactly it must leave to JSONDecoder.
@Suite("CanonicalJSONReader reads what JSONDecoder reads")
struct CanonicalJSONReaderTests {
    let decoder = UserFinding.makeDecoder()

    @Test(arguments: ["tripay-double-credit", "balance-drift"])
    func everyAdjustmentOfASimulatedPlan(job: String) throws {
        let harness = try PipelineHarness(users: 600, seed: 43, job: job)
        let plan = try harness.plan().plan
        #expect(!plan.adjustments.isEmpty)
        for line in plan.adjustments {
            let bytes = CanonicalJSONWriter.encode(line)
            let read = try #require(bytes.withUnsafeBytes { AdjustmentLine.read($0) })
            #expect(read == line)
            #expect(read == (try decoder.decode(AdjustmentLine.self, from: bytes)))
        }
    }

    @Test func awkwardTextAndOptionals() throws {
        let harness = try PipelineHarness(users: 300, seed: 5)
        var line = try #require(harness.plan().plan.adjustments.first)
        for text in CanonicalJSONWriterTests.awkward {
            line.label = text
            line.contact = text.isEmpty ? nil : text
            line.revertsKey = text.isEmpty ? nil : text
            line.decompositions = -text.count
            let bytes = CanonicalJSONWriter.encode(line)
            #expect(bytes.withUnsafeBytes { AdjustmentLine.read($0) } == line)
        }
    }

    /// Variations on a real line's JSON: the reader either agrees with JSONDecoder or gives up.
    @Test func whereItCannotBeSureItLeavesItToJSONDecoder() throws {
        let harness = try PipelineHarness(users: 300, seed: 5)
        let line = try #require(harness.plan().plan.adjustments.first)
        let text = String(decoding: CanonicalJSONWriter.encode(line), as: UTF8.self)
        func with(_ target: String, _ replacement: String) -> String { text.replacingOccurrences(of: target, with: replacement) }
        var variants: [String] = []
        variants.append(with("\"decompositions\":", "\"decompositions\":0"))  // leading zero
        variants.append(with("\"decompositions\":1", "\"decompositions\":1.0"))
        variants.append(with("\"decompositions\":1", "\"decompositions\":1e0"))
        variants.append(with("\"user_id\":", "\"userId\":\"x\",\"user_id\":"))
        variants.append(with("\"label\":", "\"label\":\"dup\",\"label\":"))
        variants.append(with("\"ambiguous\":false", "\"ambiguous\":0"))
        variants.append(with("\"classification\":[", "\"classification\":[\"no_such_kind\","))
        variants.append(with("\"total\":\"", "\"total\":\"1.234"))
        variants.append(with("{\"ambiguous\"", "{\"contact\":null,\"ambiguous\""))
        variants.append(with("{\"ambiguous\"", "{\"reverts_key\":5,\"ambiguous\""))
        variants.append(with("{\"ambiguous\"", "{\"extra\":{\"x\":[1,true,null]},\"ambiguous\""))
        variants.append(with("\"label\":\"", "\"label\":\"\\ud83d\\ude42\\u00e9\\/"))
        variants.append(with("\"label\":\"", "\"label\":\"\\ud83d"))
        variants += [" \(text)\n", text + "x", String(text.dropLast()), "{}", "[]", ""]
        for variant in variants {
            let data = Data(variant.utf8)
            let fast = data.withUnsafeBytes { AdjustmentLine.read($0) }
            let slow = Result { try decoder.decode(AdjustmentLine.self, from: data) }
            if let fast {
                #expect((try? slow.get()) == fast, "the reader read \(variant) differently from JSONDecoder: \(slow)")
            }
        }
    }
}
