import Testing
import Rupiah
@testable import RemedyCore

/// A BRIVA top-up (flat fee Rp 4.250, borne by the merchant).
func brivaTopUp(_ number: Int, amount: Int64, logged: Int? = nil) -> CandidateTopUp {
    CandidateTopUp(transactionId: "tx-\(number)", reference: "T\(number)", paidAt: "2025-11-2\(number % 10)T03:00:00.000000Z",
                   amount: Money(rupiah: amount), amountReceived: Money(rupiah: amount - 4_250), status: "completed", loggedHandlerRuns: logged)
}

func purchase(_ id: String, _ amount: Int64, _ status: String) -> PurchaseCandidate {
    PurchaseCandidate(transactionId: id, status: status, amount: Money(rupiah: amount), createdAt: "2025-11-25T10:00:00.000000Z")
}

@Suite("Over-credit attribution weighs the other known causes")
struct CoincidenceAttributionTests {
    let attribution = Attribution(maxRepeats: 3, triggerRefires: false, maxLostPurchases: 2, maxStates: 200_000)
    let t1 = brivaTopUp(1, amount: 150_000)   // amount_received 145.750
    let t2 = brivaTopUp(2, amount: 250_000)   // amount_received 245.750

    func outcome(_ excess: Int64, _ topUps: [CandidateTopUp], _ purchases: [PurchaseCandidate] = []) -> OverCreditOutcome {
        attribution.attributeOverCredit(excess: Money(rupiah: excess), topUps: topUps, lostPurchases: [], purchases: purchases,
                                        completedStatus: "completed")
    }

    /// The issue's case: 291.500 = 2 × 145.750, and also 145.750 + 245.750 − a failed 100.000.
    @Test func twoTopUpsLessAFailedPurchaseAreNotOneCreditedTwice() throws {
        let result = outcome(291_500, [t1, t2], [purchase("P9", 100_000, "failed"), purchase("P3", 35_000, "completed")])
        guard case .needsEvidence(let handler, let other?) = result else { Issue.record("\(result)"); return }
        #expect(handler.topUps.map(\.reference) == ["T1"] && handler.topUps.map(\.handlerRuns) == [2])
        #expect(other.topUps.map(\.handlerRuns) == [1, 1])
        #expect(other.purchases.map(\.transactionId) == ["P9"])
        #expect(other.purchases.map(\.kind) == [.failedPurchaseDeducted])
        #expect(other.total == Money(rupiah: 291_500))
        #expect(other.families == [.doubleCredit, .purchaseDeduction])
        let sentence = try #require(result.explanation(excess: Money(rupiah: 291_500), candidates: [t1, t2]))
        #expect(sentence == "Rp 291.500 could be T1 credited twice by the handler and T2 not at all or already taken back by hand "
                + "(take back Rp 291.500), or T1 and T2 credited once each by the handler (Rp 391.500) less a failed purchase P9 of Rp 100.000 "
                + "charged anyway (take back Rp 391.500, give back Rp 100.000); no callback log confirms a callback handled more than once "
                + "while another paid top-up was not, so a person must decide")
    }

    @Test func oneCallbackTwiceAndAnotherNeverNeedsACallbackLog() {
        guard case .needsEvidence(let handler, nil) = outcome(291_500, [t1, t2]) else { Issue.record("\(outcome(291_500, [t1, t2]))"); return }
        #expect(handler.topUps.map(\.handlerRuns) == [2])
        // With the log saying so, it is the bug's alone and corrected.
        let logged = [brivaTopUp(1, amount: 150_000, logged: 2), brivaTopUp(2, amount: 250_000, logged: 0)]
        guard case .explained(let decomposition, 1) = outcome(291_500, logged) else { Issue.record("\(outcome(291_500, logged))"); return }
        #expect(decomposition.topUps.map(\.handlerRuns) == [2])
        // A log that says each ran once rules the double delivery out.
        let once = [brivaTopUp(1, amount: 150_000, logged: 1), brivaTopUp(2, amount: 250_000, logged: 1)]
        guard case .unexplained = outcome(291_500, once) else { Issue.record("\(outcome(291_500, once))"); return }
        // It does not say T2's credit was not taken back by hand: that story still meets a purchase that fits.
        guard case .competing(let handler, _) = outcome(145_750, once, [purchase("P4", 245_750, "failed")]) else {
            Issue.record("\(outcome(145_750, once, [purchase("P4", 245_750, "failed")]))"); return
        }
        #expect(handler.topUps.map(\.reference) == ["T1"])
    }

    @Test func aTopUpLeftAtZeroCompetesWithAPurchaseOfItsAmountReceived() throws {
        // 145.750 is T1 with T2 corrected by hand, or T1 and T2 with a failed purchase of 245.750 charged.
        let result = outcome(145_750, [t1, t2], [purchase("P4", 245_750, "failed")])
        guard case .competing(let handler, let other) = result else { Issue.record("\(result)"); return }
        #expect(handler.topUps.map(\.reference) == ["T1"])
        #expect(other.topUps.count == 2 && other.purchases.map(\.transactionId) == ["P4"])
        let sentence = try #require(result.explanation(excess: Money(rupiah: 145_750), candidates: [t1, t2]))
        #expect(sentence.hasPrefix("Rp 145.750 could be T1 credited once by the handler and T2 not at all or already taken back by hand (take back Rp 145.750), or "))
        #expect(sentence.contains("less a failed purchase P4 of Rp 245.750 charged anyway (take back Rp 391.500, give back Rp 245.750)"))
    }

    @Test func aCompletedPurchaseChargedTwiceIsAConfounderToo() {
        guard case .needsEvidence(_, let other?) = outcome(291_500, [t1, t2], [purchase("P7", 100_000, "completed")]) else {
            Issue.record("\(outcome(291_500, [t1, t2], [purchase("P7", 100_000, "completed")]))"); return
        }
        #expect(other.purchases.map(\.kind) == [.purchaseDeductedTwice])
        #expect(other.deductionStory == "a completed purchase P7 of Rp 100.000 charged twice")
    }

    @Test func twoPurchasesTogetherCanMakeTheGap() {
        guard case .needsEvidence(_, let other?) = outcome(291_500, [t1, t2], [purchase("A", 60_000, "failed"), purchase("B", 40_000, "pending")]) else {
            Issue.record("two purchases of 60.000 and 40.000 make the 100.000 gap"); return
        }
        #expect(Set(other.purchases.map(\.transactionId)) == ["A", "B"])
    }

    @Test func theOrdinaryStoryIsPreferredWhateverElseFits() {
        // Every paid top-up credited once: corrected, even though T1 × 3 less a failed 45.750 fits too.
        let result = outcome(391_500, [t1, t2], [purchase("P1", 45_750, "failed")])
        guard case .explained(let decomposition, _) = result else { Issue.record("\(result)"); return }
        #expect(decomposition.topUps.map(\.handlerRuns) == [1, 1])
        #expect(decomposition.purchases.isEmpty)
    }

    @Test func aRedeliveryIsNotHeldForAStoryThatNeedsARedeliveryAndAPurchase() {
        // T1 twice and T2 once; T1 once and T2 twice less a purchase of 100.000 charged fits too,
        // but strays twice from the ordinary story where the handler's alone strays once.
        let result = outcome(145_750 * 2 + 245_750, [t1, t2], [purchase("P1", 100_000, "completed")])
        guard case .explained(let decomposition, 1) = result else { Issue.record("\(result)"); return }
        #expect(decomposition.topUps.map(\.handlerRuns) == [2, 1])
    }

    @Test func aRedeliveryNoOtherCauseMatchesIsCorrected() {
        // T1 twice and T2 once, no purchase matches: the handler's alone.
        let result = outcome(145_750 * 2 + 245_750, [t1, t2], [purchase("P1", 30_000, "failed")])
        guard case .explained(let decomposition, 1) = result else { Issue.record("\(result)"); return }
        #expect(decomposition.topUps.map(\.handlerRuns) == [2, 1])
    }

    @Test func aPartlyCorrectedUserIsCorrectedAsTheLatestTopUpsNotAsADoubleDelivery() {
        // Two top-ups with the same amount_received and a third taken back by hand: 2 × 9.180 left.
        // T2 × 2 fits as well, but it needs a callback log: the plausible story is T1 and T3 once.
        let topUps = [qrisTopUp(1), qrisTopUp(2, amount: 50_000, received: 48_900), qrisTopUp(3)]
        let result = outcome(18_360, topUps)
        guard case .explained(let decomposition, let count) = result else { Issue.record("\(result)"); return }
        #expect(decomposition.topUps.map(\.handlerRuns) == [1, 1])
        #expect(decomposition.topUps.map(\.reference) == [topUps[0].reference, topUps[2].reference])
        #expect(count == 3, "T1+T3, T1×2, T3×2")
    }

    @Test func onlyTheBugAndAnotherCauseTogetherIsNotCorrected() throws {
        // 145.750 − 20.000: no handler figure; with the failed purchase it is T1 once.
        let result = outcome(125_750, [t1], [purchase("P2", 20_000, "failed")])
        guard case .onlyWithOtherCause(let mixed) = result else { Issue.record("\(result)"); return }
        #expect(mixed.topUps.map(\.handlerRuns) == [1])
        let sentence = try #require(result.explanation(excess: Money(rupiah: 125_750), candidates: [t1]))
        #expect(sentence == "Rp 125.750 is T1 credited once by the handler (Rp 145.750) less a failed purchase P2 of Rp 20.000 charged anyway "
                + "(take back Rp 145.750, give back Rp 20.000): the bug and another cause together; this job corrects the bug alone, so a person must decide")
    }

    @Test func nothingFitsIsUnexplainedWithTheClosest() {
        guard case .unexplained(let closest) = outcome(100_000, [t1], [purchase("P2", 20_000, "failed")]) else { Issue.record("expected unexplained"); return }
        #expect(closest?.total == Money(rupiah: 145_750))
    }

    @Test func theConfounderSearchStaysWithinItsBudget() {
        let small = Attribution(maxRepeats: 3, triggerRefires: false, maxLostPurchases: 0, maxStates: 300)
        let topUps = (1...12).map { brivaTopUp($0, amount: 20_000 + Int64($0) * 10_313) }
        let purchases = (1...60).map { purchase("P\($0)", Int64($0) * 1_117, "failed") }
        let result = small.attributeOverCredit(excess: Money(rupiah: 77_777), topUps: topUps, lostPurchases: [], purchases: purchases,
                                               completedStatus: "completed")
        guard case .undecided(let states) = result else { Issue.record("\(result)"); return }
        #expect(states > 300)
    }

    @Test func deductionSetsAreOneOrTwoPurchasesSmallestFirst() throws {
        let sets = try #require(Attribution.deductionSets([purchase("a", 50, "failed"), purchase("b", 50, "failed"), purchase("c", 20, "completed")],
                                                         completedStatus: "completed"))
        #expect(sets.map(\.total) == [20, 50, 70, 100].map { Money(rupiah: $0) })
        #expect(sets.first { $0.total == Money(rupiah: 100) }?.purchases.map(\.0.transactionId) == ["a", "b"])
    }
}
