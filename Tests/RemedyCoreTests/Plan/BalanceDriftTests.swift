import Foundation
import Postgres
import Rupiah
import ShopSimulator
import Testing
@testable import RemedyCore

@Suite("Balance-drift job against the simulator's truth")
struct BalanceDriftTests {
    @Test func everyDriftingUserIsClassifiedAsTheTruthSaysOrHeld() throws {
        let harness = try PipelineHarness(users: 400, seed: 41, job: "balance-drift")
        let truth = try harness.truth()
        let books = try harness.books()
        let bundle = try harness.plan()
        let adjusted = Dictionary(uniqueKeysWithValues: bundle.plan.adjustments.map { ($0.userId, $0) })
        let held = Dictionary(uniqueKeysWithValues: bundle.plan.holds.map { ($0.userId, $0) })
        let settled = Dictionary(uniqueKeysWithValues: bundle.plan.settled.map { ($0.userId, $0) })
        var restored = 0
        for (userId, expected) in truth {
            let drift = books[userId]!.balance - books[userId]!.ledger
            let who = "\(expected.username) (\(expected.category), bug \(expected.bugExcess.rupiah), other \(expected.otherDrift.rupiah))"
            guard !drift.isZero else {
                #expect(adjusted[userId] == nil && held[userId] == nil, "\(who) is in sync and must not be listed")
                continue
            }
            #expect(drift == expected.bugExcess + expected.otherDrift, "the simulator's invariant for \(who)")
            if let line = adjusted[userId] {
                #expect(line.excess == drift, "\(who)")
                let kinds = Set(line.attribution.classification)
                if expected.otherDrift.isZero {
                    // Only the bug: explained by the handler's signatures, never by purchases.
                    #expect(kinds.isSubset(of: [.handlerCredit, .triggerRefire, .lostUpdate]), "\(who): \(kinds)")
                } else {
                    #expect(expected.bugExcess.isZero, "\(who): a mixed user must be held, not adjusted")
                    #expect(kinds.isSubset(of: [.purchaseDeductedTwice, .failedPurchaseDeducted]), "\(who): \(kinds)")
                    restored += 1
                }
            } else if let line = settled[userId] {
                // A hand correction booked in the ledger explains the whole difference.
                #expect(line.note.contains("ledger row"), "\(who): \(line.note)")
                #expect(expected.bugExcess.isZero, "\(who)")
            } else {
                #expect(held[userId] != nil, "\(who) drifts but is neither adjusted nor held")
            }
        }
        #expect(restored > 0, "the simulation has purchase deductions to restore")
    }

    @Test func member1IsRestoredByExactlyTheTwoPurchasesDeductedTwice() throws {
        let harness = try PipelineHarness(users: 40, seed: 42, job: "balance-drift")
        let member1 = try harness.userId("member1")
        let bundle = try harness.plan()
        let line = try #require(bundle.plan.adjustments.first { $0.userId == member1 }, "\(bundle.plan.holds.filter { $0.userId == member1 })")
        #expect(line.delta == Money(rupiah: 400_000))
        #expect(Set(line.attribution.purchases.map(\.amount)) == [Money(rupiah: 150_000), Money(rupiah: 250_000)])
        #expect(line.attribution.classification == [.purchaseDeductedTwice])
        #expect(line.ambiguous, "the pending 150.000 gives a second way to the same amount, of the same classification")
        try harness.approve(bundle)
        _ = try harness.apply(bundle)
        #expect(try harness.books()[member1]?.balance == Money(rupiah: 1_900_000))

        // Reverted: the give-back is taken back again, read and signed off like any plan.
        let written = try RevertPlanner(spec: harness.spec, original: try PlanBundle.readStreaming(bundle.path), plannerKey: harness.keys["andi"]!,
                                        connection: harness.connection)
            .plan(outDirectory: "\(harness.directory)/revert", defaultParent: harness.directory)
        let revert = try PlanBundle.read(written.path)
        #expect(revert.plan.adjustments.first { $0.userId == member1 }?.delta == Money(rupiah: -400_000))
        try harness.approve(revert)
        _ = try harness.apply(revert)
        #expect(try harness.books()[member1]?.balance == Money(rupiah: 1_500_000))
    }
}
