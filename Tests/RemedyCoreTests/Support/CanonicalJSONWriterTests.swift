import Foundation
import Rupiah
import ShopSimulator
import Testing
import TestSupport
@testable import RemedyCore

/// CanonicalJSONWriter must give the very bytes CanonicalJSON (JSONEncoder) gives: plan.json's
/// digest is the plan's identity, and approvals sign it.
@Suite("CanonicalJSONWriter writes what JSONEncoder writes")
struct CanonicalJSONWriterTests {
    static let awkward = AwkwardJSONText.all

    @Test(arguments: ["tripay-double-credit", "balance-drift"])
    func everyLineOfASimulatedPlan(job: String) throws {
        let harness = try PipelineHarness(users: 600, seed: 23, job: job)
        let plan = try harness.plan().plan
        #expect(!plan.adjustments.isEmpty && !plan.holds.isEmpty)
        for line in plan.adjustments { try expectSame(line) }
        for line in plan.holds { try expectSame(line) }
        for line in plan.settled { try expectSame(line) }
        if job == "balance-drift" {
            #expect(plan.adjustments.contains { !$0.attribution.purchases.isEmpty }, "purchase attributions are covered")
        }
        #expect(plan.adjustments.contains { $0.attribution.topUps.contains { !$0.lostPurchases.isEmpty } } || job == "balance-drift",
                "lost purchases are covered")
        #expect(plan.holds.contains { $0.closest != nil } || job == "balance-drift")
    }

    @Test func awkwardTextOptionalsAndExtremes() throws {
        let harness = try PipelineHarness(users: 300, seed: 5)
        let plan = try harness.plan().plan
        var line = try #require(plan.adjustments.first)
        var hold = try #require(plan.holds.first)
        var settled = try #require(plan.settled.first)
        for text in Self.awkward {
            line.label = text
            line.contact = text.isEmpty ? nil : text
            line.revertsKey = text.isEmpty ? nil : text
            line.idempotencyKey = text
            line.decompositions = text.count * 1_000_003 - 7
            line.ambiguous = text.count % 2 == 0
            line.balance = Money(minorUnits: Int64(text.utf8.count) * -123_456_789)
            hold.label = text
            hold.explanation = text
            hold.acknowledged = text.isEmpty ? nil : Acknowledgement(by: text, at: text, reason: text)
            hold.closest = text.isEmpty ? nil : line.attribution
            settled.label = text
            settled.note = text
            settled.userId = text
            settled.candidateTopUps = -text.count
            try expectSame(line)
            try expectSame(hold)
            try expectSame(settled)
        }
        for reason in [HeldLine.Reason.shortfall, .noCandidates, .unexplained, .undecided, .tooManyCandidates, .wouldGoNegative,
                       .negativeForbidden, .overLimit, .unreadable, .ledgerCorrection, .conflicting, .ambiguous,
                       .callbackUnverified] {
            hold.reason = reason
            try expectSame(hold)
        }
        let purchase = PurchaseAttribution(transactionId: "p/1\"", status: "failed", amount: Money(minorUnits: 5), kind: .failedPurchaseDeducted,
                                           contribution: Money(minorUnits: -5))
        let lost = LostPurchaseCandidate(transactionId: "x\n", completedAt: "2025-11-20T00:00:00.000000Z", amount: Money(minorUnits: 1), afterReference: "é")
        let topUp = TopUpAttribution(transactionId: "t", reference: "r\\", paidAt: "p", amount: .zero, amountReceived: Money(minorUnits: 918_000),
                                     handlerRuns: 3, triggerRefires: 2, lostPurchases: [lost, lost], contribution: Money(minorUnits: Int64.max / 1000))
        try expectSame(Decomposition(topUps: [topUp, topUp], purchases: [purchase], total: Money(minorUnits: -1), classification: SignatureKind.allCases))
        try expectSame(Decomposition(topUps: [], purchases: [], total: .zero, classification: []))
    }

    @Test func gatewayChecksEveryVerdictAndOptional() throws {
        for verdict in [GatewayReferenceCheck.Verdict.confirmed, .disagrees, .unknown, .notChecked, .owedByShop, .notPaid] {
            for text in Self.awkward {
                let check = GatewayReferenceCheck(reference: text, userId: text, transactionId: text, shopStatus: text, verdict: verdict,
                                                  reason: text.isEmpty ? nil : text, amountReceived: text.isEmpty ? nil : Money(minorUnits: -918_000),
                                                  sha256: text.count % 2 == 0 ? nil : text)
                try expectSame(check)
                // What the plan's reader makes of those bytes is the same check.
                let read = CanonicalJSONWriter.encodeBytes(check).withUnsafeBytes { GatewayReferenceCheck.read($0) }
                #expect(read == check)
            }
        }
    }

    /// A gateway answer keeps the body exactly as the gateway sent it: whatever its text, the
    /// writer gives JSONEncoder's bytes (answers filed before were written by JSONEncoder), and
    /// what is read back is refused unless writing it again gives those very bytes.
    @Test func gatewayAnswersWithAnyBody() throws {
        let tripay = #"{"success":true,"message":"","data":{"reference":"T4715903487542EABLK","amount":100000,"paid_at":1764315478,"note":null}}"#
        for text in Self.awkward + [tripay] {
            let record = GatewayResponseRecord(format: GatewayResponseRecord.currentFormat, reference: "T4715903487542EABLK",
                                               url: "https://tripay.co.id/api/transaction/detail?reference=\(text)", httpStatus: text.count - 3,
                                               fetchedAt: "2026-12-01T10:05:00.000000Z", body: text)
            try expectSame(record)
            let filed = try CanonicalJSON.encode(record)
            #expect(GatewayResponseRecord.decodeStored(filed, reference: record.reference) == record)
            #expect(GatewayResponseRecord.decodeStored(filed, reference: "T0000OTHER") == nil, "an answer about another reference")
        }
        let record = GatewayResponseRecord(format: GatewayResponseRecord.currentFormat, reference: "R1", url: "https://x/y",
                                           httpStatus: 200, fetchedAt: "t", body: tripay)
        let canonical = String(decoding: record.encoded(), as: UTF8.self)
        #expect(GatewayResponseRecord.decodeStored(Data(canonical.utf8), reference: "R1") == record)
        // The same answer in any other form: spaced, reordered, escaped otherwise, a member repeated
        // or added, a number written otherwise, another format.
        let forms = [
            canonical.replacingOccurrences(of: ",\"fetched_at\"", with: ", \"fetched_at\""),
            canonical.replacingOccurrences(of: "https://x/y", with: #"https:\/\/x\/y"#),
            canonical.replacingOccurrences(of: #""url":"https://x/y""#, with: #""url":"https://x/\u0079""#),
            canonical.replacingOccurrences(of: #""http_status":200"#, with: #""http_status":200.0"#),
            canonical.replacingOccurrences(of: #""http_status":200"#, with: #""http_status":"200""#),
            canonical.replacingOccurrences(of: #""reference":"R1""#, with: #""reference":"R1","reference":"R1""#),
            canonical.replacingOccurrences(of: #""url":"#, with: #""extra":1,"url":"#),
            #"{"reference":"R1","#  + canonical.dropFirst().replacingOccurrences(of: #","reference":"R1""#, with: ""),
            canonical.replacingOccurrences(of: GatewayResponseRecord.currentFormat, with: "remedy-gateway-response/v0"),
            canonical + " ",
        ]
        for form in forms {
            #expect(form != canonical)
            #expect(GatewayResponseRecord.decodeStored(Data(form.utf8), reference: "R1") == nil, "\(form)")
        }
    }

    @Test func applysAuditDetailsAndReport() throws {
        let harness = try PipelineHarness(users: 400, seed: 29)
        let (bundle, report) = try harness.runPipeline()
        #expect(report.counts.applied > 0)
        let whole = try report.lines()
        let written = try Data(contentsOf: URL(fileURLWithPath: "\(bundle.path)/runs/\(report.runId).json"))
        #expect(written == (try CanonicalJSON.encode(whole)))
        // A report of several megabytes is spooled and written in pieces; the file must still be
        // the same bytes, and no spool or temporary file is left.
        var long = whole
        while long.applied.count < 20_000 { long.applied += whole.applied }
        long.alreadyApplied = whole.applied.map(\.userId)
        let longWritten = try long.writtenByApply()
        #expect(longWritten.count > 3 << 20, "the report is long enough to be drained more than once")
        #expect(longWritten == (try CanonicalJSON.encode(long)))
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(bundle.path)/runs") == ["\(report.runId).json"])
        for line in bundle.plan.adjustments.prefix(200) {
            for reverts in [nil, "r/\"é"] as [String?] {
                try expectSame(CorrectionDetails(line: line, before: line.balance, after: line.balanceAfter, runId: report.runId,
                                                 approvers: report.approvers + ["x\u{1}"], job: "j", reverts: reverts))
                // Apply's way: the evidence's canonical bytes given ahead of the batch, and written as is.
                let batch = try PreparedBatch([(line, CanonicalJSONWriter.encodeBytes(line.attribution))], kind: reverts == nil ? .correction : .revert, reverts: reverts, runId: report.runId, job: "j")
                let prepared = try #require(batch.lines.first)
                let details = CorrectionDetails(prepared: prepared, of: batch, before: line.balance, after: line.balanceAfter,
                                                approvers: report.approvers + ["x\u{1}"])
                #expect(details.membersAfterBalances != nil, "the members after the balances were written ahead")
                try expectSame(details)
                // The same row written whole, at once, is the same bytes.
                #expect(CanonicalJSONWriter.encode(details) == CanonicalJSONWriter.encode(
                    CorrectionDetails(line: line, before: line.balance, after: line.balanceAfter, runId: report.runId,
                                      approvers: report.approvers + ["x\u{1}"], job: "j", reverts: reverts)))
            }
            try expectSame(line.attribution)
        }
        for reason in [ApplyReport.Skipped.Reason.stale, .wouldGoNegative, .missing, .contended] {
            try expectSame(SkipDetails(reason: reason, plannedExcess: Money(minorUnits: 918_000), currentExcess: reason == .contended ? nil : .zero,
                                       currentBalance: reason == .contended ? nil : Money(minorUnits: -1), idempotencyKey: "k"))
            var header = report
            header.startedAt = nil
            header.finishedAt = nil
            var skipped = ApplyReport.Document(report: header)
            skipped.skipped = [.init(userId: "u", label: "l\"", reason: reason, plannedExcess: .zero,
                                     currentExcess: reason == .missing ? nil : Money(minorUnits: 5), currentBalance: nil)]
            skipped.alreadyApplied = ["a", "b"]
            #expect(try skipped.writtenByApply() == (try CanonicalJSON.encode(skipped)))
        }
    }

    private func expectSame<Value: CanonicalJSONWritable & Encodable>(_ value: Value, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try CanonicalJSON.encode(value)
        let written = CanonicalJSONWriter.encode(value)
        #expect(written == expected, "\(String(decoding: written, as: UTF8.self))\n≠ \(String(decoding: expected, as: UTF8.self))", sourceLocation: sourceLocation)
    }
}
