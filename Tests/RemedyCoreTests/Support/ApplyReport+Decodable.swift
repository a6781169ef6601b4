import Foundation
@testable import RemedyCore
import Rupiah

/// A lenient second reading of a run report (JSONDecoder: any key order, any whitespace, any
/// escape), which remedy itself never has: the tests hold RunReportReading's canonical reading
/// to it, and show that it takes reports the canonical reader refuses.
extension ApplyReport.Document: Decodable {
    private enum Keys: String, CodingKey {
        case alreadyApplied, applied, approvers, auditHead, finishedAt, job, linesNotReached, operatorName, planDigest, receivablesOpened, runId,
             signedAuditHead, skipped, startedAt, takenBack
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        var report = ApplyReport(runId: try c.decode(String.self, forKey: .runId), planDigest: try c.decode(String.self, forKey: .planDigest),
                                 job: try c.decode(String.self, forKey: .job), operatorName: try c.decode(String.self, forKey: .operatorName),
                                 approvers: try c.decode([String].self, forKey: .approvers),
                                 startedAt: try c.decodeIfPresent(String.self, forKey: .startedAt),
                                 finishedAt: try c.decodeIfPresent(String.self, forKey: .finishedAt))
        report.auditHead = try c.decode(String.self, forKey: .auditHead)
        report.signedAuditHead = try c.decodeIfPresent(SignedAuditHead.self, forKey: .signedAuditHead)
        report.takenBack = try c.decode(Money.self, forKey: .takenBack)
        report.receivablesOpened = try c.decode(Money.self, forKey: .receivablesOpened)
        report.linesNotReached = try c.decodeIfPresent(Int.self, forKey: .linesNotReached) ?? 0
        self.init(report: report)
        alreadyApplied = try c.decode([String].self, forKey: .alreadyApplied)
        applied = try c.decode([ApplyReport.Applied].self, forKey: .applied)
        skipped = try c.decode([ApplyReport.Skipped].self, forKey: .skipped)
        for userId in alreadyApplied { self.report.counts.count(.alreadyApplied(userId)) }
        for line in applied { self.report.counts.count(.applied(line)) }
        for line in skipped { self.report.counts.count(.skipped(line)) }
    }
}
