import Foundation
import Postgres
import Testing
@testable import RemedyCore

/// Export reads each run report a line at a time (at a million users a report holds 150,000
/// lines): the same lines JSONDecoder reads from the whole file, and only from a report in the
/// canonical form apply writes.
@Suite("Export: run reports read a line at a time")
struct ExportRunReportTests {
    /// Two runs (a stale skip, then the line applied and the rest found booked): every report
    /// read line by line gives the lines the whole-file decoding gives, and with them put back,
    /// the report's very bytes.
    @Test func aReportReadLineByLineIsTheWholeReport() throws {
        let harness = try PipelineHarness(users: 300, seed: 8)
        let (bundle, _, first, second) = try harness.twoRunsWithAStaleLine()
        try #require(first.counts.skipped > 0 && first.counts.applied > 0 && second.counts.applied > 0 && second.counts.alreadyApplied > 0)

        for run in [first, second] {
            let path = "\(bundle.path)/runs/\(run.runId).json"
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            var lines = (applied: [ApplyReport.Applied](), alreadyApplied: [String](), skipped: [ApplyReport.Skipped]())
            let read = try #require(RunReportReading.read(path: path) { line in
                switch line {
                case .applied(let applied): lines.applied.append(applied)
                case .alreadyApplied(let userId): lines.alreadyApplied.append(userId)
                case .skipped(let skipped): lines.skipped.append(skipped)
                }
            })
            #expect(read.counts == run.counts && read.path == path, "the lines are counted as they are handed on")
            let whole = try CanonicalJSON.decode(ApplyReport.Document.self, from: bytes)
            #expect(lines.applied == whole.applied && lines.alreadyApplied == whole.alreadyApplied && lines.skipped == whole.skipped)
            #expect(whole.report.counts == run.counts)
            var document = ApplyReport.Document(report: read)
            document.applied = lines.applied
            document.alreadyApplied = lines.alreadyApplied
            document.skipped = lines.skipped
            #expect(try CanonicalJSON.encode(document) == bytes)
        }
    }

    /// A report apply did not write as it stands (whitespace, an escape where none is needed) is
    /// named, and what it would say is taken from the database instead: one file, one reading.
    @Test(arguments: ["pretty-printed", "an escaped character in a user id"])
    func aReportNotInCanonicalFormIsNamedAndNotRead(_ change: String) throws {
        let harness = try PipelineHarness(users: 200, seed: 6)
        let (bundle, report) = try harness.runPipeline()
        try #require(report.counts.applied > 0)
        let applied = try report.lines().applied
        let path = "\(bundle.path)/runs/\(report.runId).json"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        var text = try #require(String(data: bytes, encoding: .utf8))
        if change == "pretty-printed" {
            let object = try JSONSerialization.jsonObject(with: bytes)
            text = try #require(String(data: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), encoding: .utf8))
        } else {
            // The last line's: every line before it reads well.
            let marker = try #require(text.range(of: "\"user_id\":\"", options: .backwards))
            let character = text[marker.upperBound]
            text.replaceSubrange(marker.upperBound ..< text.index(after: marker.upperBound),
                                 with: String(format: "\\u%04x", character.unicodeScalars.first!.value))
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        // JSONDecoder reads the changed file as the same report.
        #expect(try CanonicalJSON.decode(ApplyReport.Document.self, from: Data(text.utf8)).applied == applied)

        let document = try ExportBuilder(bundle: try PlanBundle.read(bundle.path), connection: harness.connection).build()
        let messages = document.crossCheck.discrepancies.map(\.message)
        #expect(messages.contains("runs/\(report.runId).json is not a remedy apply report"), "\(messages)")
        #expect(messages.contains { $0.contains("run \(report.runId)") && $0.contains("has no report in the bundle") })
        #expect(document.crossCheck.agrees == false)
        // The lines come from the database's book.
        #expect(document.totals.counts.applied == report.counts.applied)
        #expect(document.totals.takenBack == report.takenBack)
        #expect(document.runs.map(\.reportInBundle) == [false])
    }
}
