import Foundation
import Rupiah
import Testing
@testable import RemedyCore

/// A stop asked for (Ctrl-C, SIGTERM: `StopRequest`) ends an apply run cleanly. Asked for while
/// the plan is still being checked, nothing is written at all. (Asked for mid-run, through the
/// real binary and a real signal: ApplyInterruptTests.)
@Suite("Apply: a stop asked for before the run writes anything")
struct ApplyStopTests {
    @Test func aStopBeforeTheRunLeavesTheDatabaseAsItWas() throws {
        let harness = try PipelineHarness(users: 150, seed: 9)
        let bundle = try harness.plan()
        try harness.approve(bundle)
        try #require(!bundle.plan.adjustments.isEmpty, "the shop must have something to take back")
        func remedyRows() throws -> [Int] {
            try ["remedy.runs", "remedy.leases", "remedy.audit_log", "remedy.entries"].map { table in
                try harness.connection.query("SELECT count(*)::int FROM \(table)")[0].decode(0, as: Int.self)
            }
        }
        let (booksBefore, rowsBefore) = (try harness.books(), try remedyRows())

        let stop = StopRequest()
        stop.request()
        let error = #expect(throws: RemedyError.self) {
            try Applier(spec: harness.spec, bundle: try PlanBundle.read(bundle.path), connection: harness.connection)
                .apply(operatorKey: harness.keys["andi"]!, stop: stop)
        }
        #expect(error?.code == .interrupted && error?.message.contains("before it wrote anything") == true, "\(String(describing: error))")
        #expect(try remedyRows() == rowsBefore, "no run, lease, audit row or entry")
        #expect(try harness.books().mapValues(\.balance) == booksBefore.mapValues(\.balance), "no balance moved")

        // Nothing stands in the way of the same apply afterwards.
        let report = try harness.apply(bundle)
        #expect(report.isComplete && report.linesNotReached == 0 && report.counts.applied == bundle.plan.adjustments.count)
    }
}
