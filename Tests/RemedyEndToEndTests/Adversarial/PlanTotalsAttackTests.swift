import Foundation
import Testing
@testable import RemedyCore
import Rupiah

/// Issue 10, item 3: totals are the lines' totals. On main show, approve and export printed the
/// file's own totals, so a planner could show "Rp 9.180 to take back" over lines worth millions.
@Suite("Adversarial: totals that disagree with the lines")
struct PlanTotalsAttackTests {
    @Test func storedTotalsThatDisagreeWithTheLinesAreRefused() throws {
        let shop = try EndToEndShop(users: 150, seed: 1_030)
        var (_, plan) = try PlanForgery.legitimate(shop)
        try #require(plan.totals.toTakeBack.isPositive)
        plan.totals.toTakeBack = Money(minorUnits: 918_000)
        plan.totals.overCreditFound = Money(minorUnits: 918_000)
        let forged = try PlanForgery.record(try PlanForgery.encode(plan), claiming: plan, signedWith: shop.key("andi"), in: shop)
        try PlanForgery.expectEveryCommandRefuses(forged, claiming: plan, in: shop, mentioning: ["totals", "to_take_back", "Rp 9.180"])
    }

    /// What approve signs is said in numbers recomputed from the lines, with the line count.
    @Test func approveSaysTheRecomputedTotalsAndTheLineCountItSigns() throws {
        let shop = try EndToEndShop(users: 150, seed: 1_031)
        let bundle = try shop.plan()
        let plan = try shop.readPlan(bundle)
        let recomputed = try PlanTotals(adjustments: plan.adjustments, holds: plan.holds, settled: plan.settled, usersExamined: plan.totals.usersExamined)
        let run = try shop.remedy(["approve", bundle, "--key", shop.key("sari")]).requireSuccess()
        #expect(run.stdout.contains("\(plan.adjustments.count) adjustment"), "\(run)")
        #expect(run.stdout.contains(recomputed.toTakeBack.rupiah), "\(run)")
        #expect(run.stdout.contains("\(plan.holds.count) hold"), "\(run)")
    }
}
