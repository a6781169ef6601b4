import Foundation
import RemedyCore
import Testing

/// Apply writes `runs/RUN.json` once every batch has committed. If that last write fails (a full
/// disk; `REMEDY_FAULT_REPORT_WRITE_FAILS=1` fails it part way), the run is still done and must
/// say so: the money moved, the lines are in the audit log, and nothing points at a report that
/// is not there.
@Suite("A run whose report cannot be written at the end")
struct RunReportFailureTests {
    static let failingWrite = [FaultInjection.reportWriteFailsVariable: "1"]

    @Test func theRunEndsAsItEndedAndItsLinesAreReadFromTheAuditLog() throws {
        let shop = try EndToEndShop(users: 80, seed: 1_067)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let plan = try shop.readPlan(bundle)
        try #require(!plan.adjustments.isEmpty, "the shop should need corrections")
        let before = try shop.balances()

        let run = try shop.apply(bundle, environment: RunReportFailureTests.failingWrite)
        #expect(run.exitedZero, "every line was applied: the exit says so, report or not. \(run)")
        #expect(run.stderr.contains("the run report could not be written to \(bundle)/runs/"), "\(run)")
        #expect(run.stdout.contains("the run report could not be written: its lines are in the audit log (remedy export \(bundle) reads them there"), "\(run)")
        #expect(!run.stdout.contains("/runs/"), "no report is named where none was written: \(run)")
        #expect(!run.stdout.contains("applied  "), "no line is printed from memory or a partial file: \(run)")
        // Neither a partial report nor its temporary file nor a spool is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(bundle)/runs") == [])

        let after = try shop.balances()
        let moved = Set(after.keys.filter { after[$0] != before[$0] })
        #expect(moved == Set(plan.adjustments.map(\.userId)), "every planned balance moved, no other")

        // The audit log has every line: export reads them without the report, and names the
        // missing report as the one discrepancy (exit 4) for someone to explain before filing.
        let exportFile = "\(shop.directory)/after-failed-report.json"
        let export = try shop.remedy(["export", bundle, "--format", "json", "--out", exportFile])
        #expect(export.reason == .exit && export.status == 4, "\(export)")
        let discrepancies = export.stdoutLines.filter { $0.hasPrefix("DISCREPANCY ") }
        #expect(discrepancies.count == 1 && discrepancies[0].contains("has no report in the bundle's runs/"), "\(export)")
        let exported = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: exportFile))) as? [String: Any])
        let lines = try #require(exported["lines"] as? [[String: Any]])
        let applied = Set(lines.filter { $0["outcome"] as? String == "applied" }.compactMap { $0["user_id"] as? String })
        #expect(applied == Set(plan.adjustments.map(\.userId)), "export reads every applied line from the audit log")

        // Run again: nothing moves twice, and this run's report is written.
        let again = try shop.apply(bundle).requireSuccess()
        #expect(try shop.balances() == after)
        #expect(again.stdout.contains("applied 0, already applied \(plan.adjustments.count)"), "\(again)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(bundle)/runs").count == 1)
    }

    /// `apply --json` cannot print lines it cannot read back: an error object naming the run, how
    /// it ended and where its lines are, a non-zero exit, and never a partial document.
    @Test func applyJSONRefusesInOneLineNamingTheRunAndTheAuditLog() throws {
        let shop = try EndToEndShop(users: 80, seed: 1_069)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let run = try shop.apply(bundle, environment: RunReportFailureTests.failingWrite, json: true)
        #expect(run.exitedNonZero, "\(run)")
        // stdout holds the error's JSON object and nothing before it: no partial document.
        let printed = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
        let error = try #require(printed["error"] as? [String: Any], "\(run)")
        let message = error["message"] as? String ?? ""
        #expect(printed.count == 1 && error["code"] as? String == "io", "\(run)")
        #expect(message.contains("every line booked") && message.contains("remedy export") && !message.contains("\n"), "\(run)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(bundle)/runs") == [])
    }
}
