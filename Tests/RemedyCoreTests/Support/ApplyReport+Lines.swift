import Foundation
@testable import RemedyCore

extension ApplyReport {
    /// The report with every line of its file: tests read their small runs whole.
    func lines() throws -> Document {
        try Document(reading: self)
    }
}

extension ApplyReport.Document {
    /// The bytes apply writes for this report: its lines recorded through a RunReportSpool, then
    /// the file assembled from it, as `Applier` does.
    func writtenByApply() throws -> Data {
        let directory = NSTemporaryDirectory() + "remedy-run-report-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let spool = try RunReportSpool(directory: directory, runId: report.runId)
        for userId in alreadyApplied { try spool.append(.alreadyApplied(userId)) }
        for line in applied { try spool.append(.applied(line)) }
        for line in skipped { try spool.append(.skipped(line)) }
        let path = "\(directory)/\(report.runId).json"
        try spool.write(report, toFile: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }
}
