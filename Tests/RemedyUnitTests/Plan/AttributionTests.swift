import Testing
import Rupiah
@testable import RemedyCore

/// A Rp 10.000 QRIS top-up: fee 820, amount_received 9.180 (seed 002).
func qrisTopUp(_ number: Int, amount: Int64 = 10_000, received: Int64 = 9_180) -> CandidateTopUp {
    CandidateTopUp(transactionId: "tx-\(number)", reference: "T000000000000\(number)ABCDE", paidAt: "2025-11-2\(number % 10)T03:00:00.000000Z",
                   amount: Money(rupiah: amount), amountReceived: Money(rupiah: received), status: "completed")
}

@Suite("Attribution: an excess decomposed into the bug's signatures")
struct AttributionTests {
    let guarded = Attribution(maxRepeats: 3, triggerRefires: false, maxLostPurchases: 2, maxStates: 200_000)
    let refiring = Attribution(maxRepeats: 3, triggerRefires: true, maxLostPurchases: 2, maxStates: 200_000)

    @Test func oneTopUpCreditedOnceIsExplainedExactly() {
        let outcome = guarded.attribute(excess: Money(rupiah: 9_180), topUps: [qrisTopUp(1)], lostPurchases: [])
        guard case .explained(let decomposition, let count) = outcome else { Issue.record("\(outcome)"); return }
        #expect(count == 1)
        #expect(decomposition.total == Money(rupiah: 9_180))
        #expect(decomposition.topUps.map(\.handlerRuns) == [1])
        #expect(decomposition.shortText == "T0000000000001ABCDE×1")
    }

    @Test func redeliveredCallbackCountsEachHandlerRun() {
        let outcome = guarded.attribute(excess: Money(rupiah: 27_540), topUps: [qrisTopUp(1)], lostPurchases: [])
        guard case .explained(let decomposition, 1) = outcome else { Issue.record("\(outcome)"); return }
        #expect(decomposition.topUps[0].handlerRuns == 3)
        #expect(decomposition.topUps[0].triggerRefires == 0)
    }

    @Test func refiringTriggerAddsTheAmountOnEachRedelivery() {
        // Two deliveries: 2 × 9.180 by the handler and one extra 10.000 by the re-firing trigger.
        let outcome = refiring.attribute(excess: Money(rupiah: 28_360), topUps: [qrisTopUp(1)], lostPurchases: [])
        guard case .explained(let decomposition, 1) = outcome else { Issue.record("\(outcome)"); return }
        #expect(decomposition.topUps[0].handlerRuns == 2)
        #expect(decomposition.topUps[0].triggerRefires == 1)
        // The guarded trigger cannot produce that figure.
        #expect(guarded.attribute(excess: Money(rupiah: 28_360), topUps: [qrisTopUp(1)], lostPurchases: []) != outcome)
    }

    @Test func partlyCorrectedUserIsAmbiguousButExact() {
        let topUps = (1...3).map { qrisTopUp($0) }
        let outcome = guarded.attribute(excess: Money(rupiah: 9_180), topUps: topUps, lostPurchases: [])
        guard case .explained(let decomposition, let count) = outcome else { Issue.record("\(outcome)"); return }
        #expect(count == 3)
        #expect(decomposition.total == Money(rupiah: 9_180))
        // The latest top-up explains the remainder: earlier ones were the ones corrected by hand.
        #expect(decomposition.topUps.map(\.reference) == ["T0000000000003ABCDE"])
    }

    @Test func lostUpdateAddsTheErasedPurchase() {
        let lost = LostPurchaseCandidate(transactionId: "p-1", completedAt: "2025-11-21T03:00:05.000000Z", amount: Money(rupiah: 50_000), afterReference: qrisTopUp(1).reference)
        let outcome = guarded.attribute(excess: Money(rupiah: 59_180), topUps: [qrisTopUp(1)], lostPurchases: [lost])
        guard case .explained(let decomposition, 1) = outcome else { Issue.record("\(outcome)"); return }
        #expect(decomposition.topUps[0].lostPurchases == [lost])
        #expect(decomposition.shortText.contains("lost purchase Rp 50.000"))
    }

    @Test func unexplainedExcessGivesTheClosestDecomposition() {
        let outcome = guarded.attribute(excess: Money(rupiah: 12_345), topUps: [qrisTopUp(1)], lostPurchases: [])
        guard case .unexplained(let closest) = outcome else { Issue.record("\(outcome)"); return }
        #expect(closest?.total == Money(rupiah: 9_180))
    }

    @Test func noTopUpsExplainNothing() {
        #expect(guarded.attribute(excess: Money(rupiah: 9_180), topUps: [], lostPurchases: []) == .unexplained(closest: nil))
    }

    @Test func manyIdenticalTopUpsStayWithinTheBudgetAndCountSaturates() {
        let topUps = (1...64).map { qrisTopUp($0) }
        let outcome = guarded.attribute(excess: Money(rupiah: 9_180 * 40), topUps: topUps, lostPurchases: [])
        guard case .explained(let decomposition, let count) = outcome else { Issue.record("\(outcome)"); return }
        #expect(count == Attribution.maxCountedDecompositions)
        #expect(decomposition.total == Money(rupiah: 9_180 * 40))
    }

    @Test func aSearchBeyondItsBudgetIsUndecidedNotGuessed() {
        let small = Attribution(maxRepeats: 3, triggerRefires: false, maxLostPurchases: 0, maxStates: 1_000)
        let topUps = (1...40).map { qrisTopUp($0, amount: 10_000 + Int64($0) * 1_013, received: 9_000 + Int64($0) * 1_013) }
        let outcome = small.attribute(excess: Money(minorUnits: 123_456_789), topUps: topUps, lostPurchases: [])
        guard case .undecided = outcome else { Issue.record("\(outcome)"); return }
    }

    @Test func nonPositiveAmountsAreNeverACredit() {
        let hostile = qrisTopUp(1, amount: 10_000, received: -9_180)
        #expect(guarded.attribute(excess: Money(rupiah: 9_180), topUps: [hostile], lostPurchases: []) == .unexplained(closest: nil))
    }

    @Test func aShortfallIsExplainedByPurchasesDeductedWithoutALedgerRow() {
        // Seed 000's member1: completed purchases of 150.000 and 250.000 deducted twice.
        let purchases = [100_000, 150_000, 450_000, 250_000].enumerated().map { index, amount in
            PurchaseCandidate(transactionId: "p-\(index)", status: "completed", amount: Money(rupiah: Int64(amount)), createdAt: "2025-11-1\(index)T00:00:00.000000Z")
        } + [PurchaseCandidate(transactionId: "p-pending", status: "pending", amount: Money(rupiah: 50_000), createdAt: "2025-11-19T00:00:00.000000Z")]
        let outcome = guarded.attribute(excess: Money(rupiah: -400_000), topUps: [], lostPurchases: [], purchases: purchases)
        guard case .explained(let decomposition, let count) = outcome else { Issue.record("\(outcome)"); return }
        #expect(count == 2, "150+250, or 100+250+pending 50")
        #expect(decomposition.classification == [.purchaseDeductedTwice], "the witness uses the fewest kinds")
        #expect(decomposition.families == [.purchaseDeduction])
        #expect(Set(decomposition.purchases.map(\.amount)) == [Money(rupiah: 150_000), Money(rupiah: 250_000)])
        #expect(decomposition.total == Money(rupiah: -400_000))
    }

    @Test func theEngineHandlesSignedOptionsAndCountsPerMask() {
        var search = DecompositionSearch(table: [
            [.init(value: 0, mask: 0), .init(value: 5, mask: 1)],
            [.init(value: 0, mask: 0), .init(value: -3, mask: 2)],
            [.init(value: 0, mask: 0), .init(value: 2, mask: 1)],
        ], maxStates: 1_000)
        #expect(search.countByMask(target: 2) == [1: 1, 3: 1], "2 = 2, or 5 − 3")
        #expect(search.witness(target: 2, mask: 3) == [1, 1, 0])
        #expect(search.countByMask(target: 6).isEmpty)
        #expect(search.closestTotal(to: 6) == 5, "5 and 7 are equally near; ties go to the smaller total")
    }
}

/// The rules compare a line's classification with the kinds it uses by their order as bits; that
/// order must be `allCases`' (the order plans list classifications in), as `<` says it is.
@Suite struct SignatureKindOrderTests {
    @Test func eachKindsOrderIsItsPlaceInAllCases() {
        #expect(SignatureKind.allCases.map(\.order) == Array(SignatureKind.allCases.indices))
        #expect(SignatureKind.allCases.sorted() == SignatureKind.allCases)
        #expect(SignatureKind.kinds(in: SignatureKind.allCases.reduce(0) { $0 | $1.bit }) == SignatureKind.allCases)
    }
}
