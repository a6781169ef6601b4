import Foundation
import Postgres
import Testing
@testable import RemedyCore

/// detect.sql is shaped for speed (work_mem of its own, parallel passes, a semi-join for the
/// ledger's scope); how PostgreSQL runs it must never change a line of the plan.
@Suite("A plan's lines do not depend on how PostgreSQL runs detect")
struct DetectPlanShapeTests {
    /// Parallel plans wherever PostgreSQL may use them, even on a small shop.
    static let parallel = ["SET parallel_setup_cost = 0", "SET parallel_tuple_cost = 0", "SET min_parallel_table_scan_size = 0",
                           "SET min_parallel_index_scan_size = 0", "SET max_parallel_workers_per_gather = 2"]
    static let serial = ["SET max_parallel_workers_per_gather = 0"]

    struct Lines: Equatable {
        let adjustments: [AdjustmentLine]
        let holds: [HeldLine]
        let settled: [SettledLine]
        let totals: PlanTotals
    }

    @Test(arguments: ["tripay-double-credit", "balance-drift"])
    func spillingSerialAndInMemoryParallelGiveTheSameLines(job: String) throws {
        let harness = try PipelineHarness(users: 600, seed: 44, job: job, coincidenceStories: true)

        func plan(settings: [String], workMemoryKilobytes: Int) throws -> Lines {
            for setting in settings { try harness.connection.execute(setting) }
            var planner = Planner(spec: harness.spec, parameters: try harness.parameters, plannerKey: harness.keys["andi"]!,
                                  connection: harness.connection)
            planner.detectWorkMemoryKilobytes = workMemoryKilobytes
            let plan = try planner.makePlan()
            return Lines(adjustments: plan.adjustments, holds: plan.holds, settled: plan.settled, totals: plan.totals)
        }

        // The settings do give different plans: serial, and parallel passes.
        let detect = try SQLTemplate.bindings(for: harness.spec, parameters: try harness.parameters, userIdType: "uuid", zonelessTimes: .allCarryTheirZone)
            .render(harness.spec.sql["detect"]!, file: "detect.sql")
        func explain(_ settings: [String]) throws -> String {
            for setting in settings { try harness.connection.execute(setting) }
            return try harness.connection.query("EXPLAIN " + detect.sql, detect.parameters).map { try $0.decode(0, as: String.self) }
                .joined(separator: "\n")
        }
        #expect(try !explain(Self.serial).contains("Gather"))
        #expect(try explain(Self.parallel).contains("Parallel Seq Scan"))

        // 64kB spills every hash and sort to disk.
        let spilling = try plan(settings: Self.serial, workMemoryKilobytes: 64)
        let inMemory = try plan(settings: Self.parallel, workMemoryKilobytes: Detector.workMemoryKilobytes)
        #expect(spilling == inMemory)
        #expect(!inMemory.adjustments.isEmpty && !inMemory.holds.isEmpty, "the shop gives detect work to do")
    }
}
