import Foundation
import Testing
@testable import RemedyCore

/// `remedy show --json` prints a plan a batch of lines at a time (at 1,000,000 users, encoding it
/// whole took 1.75 GB). Scripts read the same document either way: byte for byte what encoding the
/// whole plan at once gives.
@Suite("show --json: the plan printed a batch at a time")
struct PlanJSONOutputTests {
    @Test(arguments: ["tripay-double-credit", "balance-drift"])
    func theStreamedDocumentIsTheWholePlansEncoding(job: String) throws {
        let harness = try PipelineHarness(users: 400, seed: 31, job: job)
        let bundle = try harness.plan()
        let whole = try PlanBundle.read(bundle.path)
        let expected = String(decoding: try OutputJSON.makeEncoder().encode(whole.plan), as: UTF8.self)
        let streamed = try PlanBundle.readStreaming(bundle.path, keepingHoldsAndSettled: true)
        // Batches of one line, of a few (not dividing any section evenly), and the default.
        for batchLines in [1, 7, PlanJSONOutput.batchLines] {
            var printed = ""
            try streamed.writeJSON(batchLines: batchLines) { printed += $0 }
            #expect(printed == expected, "batches of \(batchLines): first difference at byte \(firstDifference(Array(printed.utf8), Array(expected.utf8)) ?? -1)")
        }
        #expect(!whole.plan.adjustments.isEmpty && !whole.plan.holds.isEmpty, "the plan has lines to print")
    }

    @Test func emptySectionsPrintAsTheEncoderPrintsThem() throws {
        let harness = try PipelineHarness(users: 200, seed: 3)
        var plan = try PlanBundle.read(try harness.plan().path).plan
        // Each section empty in turn, then all three.
        let cases: [(String, (inout Plan) -> Void)] = [
            ("no adjustments", { $0.adjustments = [] }), ("no holds", { $0.holds = [] }), ("no settled lines", { $0.settled = [] }),
            ("nothing", { $0.adjustments = []; $0.holds = []; $0.settled = [] }),
        ]
        for (what, empty) in cases {
            var shown = plan
            empty(&shown)
            let expected = String(decoding: try OutputJSON.makeEncoder().encode(shown), as: UTF8.self)
            var printed = ""
            try PlanJSONOutput.write(header: shown, adjustments: Self.batches(shown.adjustments), holds: Self.batches(shown.holds),
                                     settled: Self.batches(shown.settled), batchLines: 3) { printed += $0 }
            #expect(printed == expected, "\(what)")
        }
        // A string in the header shaped like a section's place is still just a string (a warning
        // can quote a shop's data).
        plan.warnings = ["\n  \"holds\" : [\n\n  ]", "\n  \"settled\" : [\n\n  ]"]
        let expected = String(decoding: try OutputJSON.makeEncoder().encode(plan), as: UTF8.self)
        var printed = ""
        try PlanJSONOutput.write(header: plan, adjustments: Self.batches(plan.adjustments), holds: Self.batches(plan.holds),
                                 settled: Self.batches(plan.settled)) { printed += $0 }
        #expect(printed == expected)
    }

    private static func batches<Line>(_ lines: [Line]) -> PlanJSONOutput.Batches<Line> {
        { batchLines, body in
            for start in stride(from: 0, to: lines.count, by: batchLines) { try body(Array(lines[start..<min(start + batchLines, lines.count)])) }
        }
    }
}
