import Foundation
import Rupiah
import Testing
@testable import RemedyCore

/// `remedy apply --json` prints the run report a batch of lines at a time, read back from the
/// report file (the lines are never all held): the bytes must be those of encoding the whole
/// report at once, whatever the batch size and whichever line arrays are empty.
@Suite("Apply: the run report printed a batch at a time is the whole report's JSON")
struct ApplyReportJSONTests {
    /// Two real runs: a stale skip beside applied lines (nothing already applied), then the
    /// stale line applied and the rest found booked (nothing skipped).
    @Test func theStreamedReportIsTheWholeReportsEncoding() throws {
        // The harness keeps its directory (and the reports in it) while it lives.
        let harness = try PipelineHarness(users: 300, seed: 8)
        let (_, _, first, second) = try harness.twoRunsWithAStaleLine()
        try #require(first.counts.skipped == 1 && first.counts.alreadyApplied == 0 && first.counts.applied > 7)
        try #require(second.counts.skipped == 0 && second.counts.alreadyApplied > 7 && second.counts.applied == 1)
        for report in [first, second] {
            try expectStreamedIsWhole(report)
        }
    }

    /// Reports apply could write but a pipeline rarely does: only skipped lines (the arrays before
    /// them empty), only user ids, none at all.
    @Test(arguments: ["only skipped", "only already applied", "no lines"])
    func emptyLineArraysPrintAsTheEncoderPrintsThem(_ shape: String) throws {
        var header = ApplyReport(runId: "r-\(UUID().uuidString.lowercased())", planDigest: "d", job: "j", operatorName: "o\u{202e}",
                                 approvers: ["a (finance)"], startedAt: "s", finishedAt: nil)
        header.takenBack = Money(minorUnits: 7)
        var document = ApplyReport.Document(report: header)
        switch shape {
        case "only skipped":
            document.skipped = (0..<5).map {
                .init(userId: "u\($0)", label: "l\"\($0)", reason: $0 == 0 ? .contended : .stale, plannedExcess: Money(minorUnits: 918_000),
                      currentExcess: $0 == 0 ? nil : .zero, currentBalance: nil)
            }
        case "only already applied":
            document.alreadyApplied = (0..<5).map { "u\($0)" }
        default:
            break
        }
        let directory = NSTemporaryDirectory() + "remedy-report-json-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = "\(directory)/\(header.runId).json"
        try document.writtenByApply().write(to: URL(fileURLWithPath: path))
        let report = try #require(RunReportReading.read(path: path) { _ in })
        #expect(report.counts.skipped == document.skipped.count && report.counts.refused == max(0, document.skipped.count - 1))
        try expectStreamedIsWhole(report)
    }

    /// A report file changed after apply wrote it is refused, not printed as if it were the run's.
    @Test func aReportFileChangedAfterTheRunIsNotPrinted() throws {
        let harness = try PipelineHarness(users: 200, seed: 6)
        let (_, report) = try harness.runPipeline()
        let path = try #require(report.path)
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"applied\":[{", with: "\"applied\":[ {")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: RemedyError.self) { try report.writeJSON { _ in } }
        #expect(throws: RemedyError.self) { try report.forEachLine { _ in } }
    }

    private func expectStreamedIsWhole(_ report: ApplyReport, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let whole = try report.lines()
        #expect(whole.applied.count == report.counts.applied && whole.alreadyApplied.count == report.counts.alreadyApplied
                && whole.skipped.count == report.counts.skipped, "the counts are the file's", sourceLocation: sourceLocation)
        let expected = String(decoding: try OutputJSON.makeEncoder().encode(whole), as: UTF8.self)
        // Batches of one line, of a few (dividing no array evenly), and the default.
        for batchLines in [1, 7, ApplyReport.jsonBatchLines] {
            var printed = ""
            try report.writeJSON(batchLines: batchLines) { printed += $0 }
            #expect(printed == expected, "batches of \(batchLines): first difference at byte \(firstDifference(Array(printed.utf8), Array(expected.utf8)) ?? -1)",
                    sourceLocation: sourceLocation)
        }
    }
}
