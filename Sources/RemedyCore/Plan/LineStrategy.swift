import Foundation
import Rupiah

/// Turns one user's finding into an adjustment, a hold or a settled line: the job's decision,
/// made per user and independent of every other user. The two strategies share every rule but
/// what an excess may be attributed to:
/// - `double-credit`: only over-credits (the Tripay handler's signatures); a shortfall is held, and
///   so is an over-credit that purchases charged without a ledger row could explain as well;
/// - `balance-drift`: over-credits and purchase deductions the ledger does not show, jointly;
///   an excess that fits more than one classification is held for a person.
public struct LineStrategy: Sendable {
    public enum Decision: Sendable, Equatable {
        case adjust(AdjustmentLine)
        case hold(HeldLine)
        case settled(SettledLine)
        /// No excess and no bug-window top-up: nothing to report.
        case none
    }

    public let kind: JobSpec.Strategy
    public let job: String
    public let attribution: Attribution
    public let completedStatus: String
    public let negativeBalance: NegativeBalancePolicy
    /// A CHECK constraint on the balance column: negative balances are refused by the database.
    public let negativeForbidden: Bool
    public let maxCandidates: Int
    public let maxSingleAdjustment: Money?
    /// The keys of the revert entries booked for this job: a correction they put back is taken
    /// again under its next generation's key (CorrectionKey).
    public let revertKeys: Set<String>
    /// Top-ups (by reference) whose stored callback failed its signature check: a correction
    /// resting on one is held (CallbackSignatures).
    public let callbackFailures: [String: CallbackSignatures.Failure]

    public init(spec: JobSpec, triggerRefires: Bool, negativeForbidden: Bool, revertKeys: Set<String> = [],
                callbackFailures: [String: CallbackSignatures.Failure] = [:]) {
        self.kind = spec.strategy
        self.job = spec.name
        self.attribution = Attribution(
            maxRepeats: spec.signatures.handlerCreditMaxRepeats, triggerRefires: triggerRefires,
            maxLostPurchases: spec.signatures.lostUpdateEnabled ? spec.signatures.lostUpdateMaxPurchases : 0,
            maxStates: spec.limits.maxSearchStates)
        self.completedStatus = spec.ledger.completedStatus
        self.negativeBalance = spec.negativeBalance
        self.negativeForbidden = negativeForbidden
        self.maxCandidates = spec.limits.maxCandidatesPerUser
        self.maxSingleAdjustment = spec.limits.maxSingleAdjustment
        self.revertKeys = revertKeys
        self.callbackFailures = callbackFailures
    }

    public func decide(_ finding: UserFinding) -> Decision {
        let excess: Money
        do { excess = try finding.excess() } catch {
            return .hold(hold(finding, .zero, .unreadable, "balance, ledger and receivables do not fit exact arithmetic: \(error)"))
        }
        if excess.isZero {
            guard !finding.candidates.isEmpty else { return .none }
            return .settled(SettledLine(userId: finding.userId, label: finding.label, candidateTopUps: finding.candidates.count,
                                        note: "balance equals the ledger"))
        }
        if !finding.ledgerCorrections.isEmpty, excess.isPositive {
            // A correction booked as a completed negative refund took the credit back through the
            // trigger, yet leaves balance − ledger unchanged: taking the excess again would harm.
            let booked = (try? finding.ledgerCorrections.map { try $0.amount.negated() }.checkedSum()) ?? .zero
            let rows = finding.ledgerCorrections.prefix(3).map { "\($0.type) \($0.amount.rupiah)" }.joined(separator: ", ")
            if booked == excess, !finding.candidates.isEmpty {
                return .settled(SettledLine(userId: finding.userId, label: finding.label, candidateTopUps: finding.candidates.count,
                                            note: "already corrected by ledger row(s) \(rows)"))
            }
            return .hold(hold(finding, excess, .ledgerCorrection,
                "excess \(excess.rupiah), and the ledger holds hand-made correction(s) (\(rows)) that moved the balance but hide in the excess; a person decides"))
        }
        // The double-credit job weighs purchases as confounders only (overCredit); they do not count here.
        let purchases = kind == .balanceDrift ? finding.purchases : []
        if excess.isNegative, kind == .doubleCredit {
            return .hold(hold(finding, excess, .shortfall,
                "balance is \(excess.negatedOrZero.rupiah) below the ledger: money is missing, not over-credited; not this bug (see the balance-drift job)"))
        }
        if excess.isPositive, finding.candidates.isEmpty {
            return .hold(hold(finding, excess, .noCandidates,
                "excess \(excess.rupiah) but no Tripay top-up was paid in the bug window; another cause, for a person to look at"))
        }
        if excess.isNegative, purchases.isEmpty {
            return .hold(hold(finding, excess, .shortfall,
                "balance is \(excess.negatedOrZero.rupiah) below the ledger and this user has no purchase that could explain it"))
        }
        let itemCount = finding.candidates.count + purchases.count
        if itemCount > maxCandidates {
            return .hold(hold(finding, excess, .tooManyCandidates,
                "\(itemCount) top-ups and purchases to consider, more than limits.max_candidates_per_user (\(maxCandidates)) for automatic attribution"))
        }
        if kind == .doubleCredit {
            return overCredit(finding, excess: excess)
        }
        // balance-drift. First one classification: an over-credit by top-ups alone, a shortfall by purchases alone.
        let topUps = excess.isPositive ? finding.candidates : []
        let outcome = attribution.attribute(excess: excess, topUps: topUps, lostPurchases: excess.isPositive ? finding.lostPurchases : [],
                                            purchases: excess.isNegative ? purchases : [], completedStatus: completedStatus)
        switch outcome {
        case .undecided(let states):
            return .hold(hold(finding, excess, .undecided,
                "excess \(excess.rupiah) could not be decided within limits.max_search_states (\(states) combinations tried)"))
        case .explained(let decomposition, let count):
            return explained(finding, excess: excess, decomposition: decomposition, count: count)
        case .unexplained(let closest):
            // Then jointly: if only both classifications together explain it, a person decides.
            if !finding.candidates.isEmpty, !purchases.isEmpty,
               case .explained(let joint, _) = attribution.attribute(excess: excess, topUps: finding.candidates, lostPurchases: finding.lostPurchases,
                                                                    purchases: purchases, completedStatus: completedStatus) {
                var line = hold(finding, excess, .conflicting,
                    "excess \(excess.rupiah) is explained only by \(joint.families.map(\.rawValue).joined(separator: " and ")) together (\(joint.shortText)): more than one classification; a person decides")
                line.closest = joint
                return .hold(line)
            }
            let what = excess.isPositive ? "this user's \(topUps.count) bug-window top-up(s)" : "this user's \(purchases.count) purchase(s)"
            var line = hold(finding, excess, .unexplained,
                "excess \(excess.rupiah) matches no combination of \(what)" + (closest.map { "; closest: \($0.total.rupiah) from \($0.shortText)" } ?? ""))
            line.closest = closest
            return .hold(line)
        }
    }

    /// The double-credit job: the handler's signatures, weighed against the other known causes
    /// (purchases charged without a ledger row, which detect lists when the spec maps
    /// `signatures.purchase_deduction`). Only a story no other cause matches is corrected.
    private func overCredit(_ finding: UserFinding, excess: Money) -> Decision {
        let candidates = finding.candidates
        let outcome = attribution.attributeOverCredit(excess: excess, topUps: candidates, lostPurchases: finding.lostPurchases,
                                                      purchases: finding.purchases, completedStatus: completedStatus)
        switch outcome {
        case .explained(let decomposition, let count):
            return explained(finding, excess: excess, decomposition: decomposition, count: count)
        case .competing(let handler, _), .needsEvidence(let handler, _):
            var line = hold(finding, excess, .ambiguous, outcome.explanation(excess: excess, candidates: candidates) ?? "")
            line.closest = handler
            return .hold(line)
        case .onlyWithOtherCause(let mixed):
            var line = hold(finding, excess, .conflicting, outcome.explanation(excess: excess, candidates: candidates) ?? "")
            line.closest = mixed
            return .hold(line)
        case .undecided(let states):
            return .hold(hold(finding, excess, .undecided,
                "excess \(excess.rupiah) could not be decided within limits.max_search_states (\(states) combinations tried)"))
        case .unexplained(let closest):
            var line = hold(finding, excess, .unexplained,
                "excess \(excess.rupiah) matches no combination of this user's \(candidates.count) bug-window top-up(s)"
                    + (closest.map { "; closest: \($0.total.rupiah) from \($0.shortText)" } ?? ""))
            line.closest = closest
            return .hold(line)
        }
    }

    private func explained(_ finding: UserFinding, excess: Money, decomposition: Decomposition, count: Int) -> Decision {
        // First the evidence: a top-up whose stored callback Tripay's signature does not vouch for
        // may never have been paid as stored.
        let unverified = decomposition.topUps.compactMap { use in callbackFailures[use.reference].map { (use.reference, $0) } }
        if !unverified.isEmpty {
            let what = unverified.map { reference, failure in
                "\(reference) (\(failure == .mismatch ? "signature mismatch: forged, or altered after Tripay signed it" : "no stored signature or body"))"
            }
            var line = hold(finding, excess, .callbackUnverified,
                "excess \(excess.rupiah) rests on top-up(s) whose stored callback fails its signature check: \(what.joined(separator: ", ")); nothing is taken back until a person confirms these references with Tripay")
            line.closest = decomposition
            return .hold(line)
        }
        if let limit = maxSingleAdjustment, excess > limit {
            var line = hold(finding, excess, .overLimit, "excess \(excess.rupiah) is above limits.max_single_adjustment (\(limit.rupiah)); a person decides")
            line.closest = decomposition
            return .hold(line)
        }
        var takeBack = excess
        var receivable = Money.zero
        if excess.isPositive, finding.balance < excess {
            switch negativeBalance {
            case .hold:
                var line = hold(finding, excess, .wouldGoNegative,
                    "taking back \(excess.rupiah) would leave the balance at \((finding.balance - excess).rupiah): the user spent it (negative_balance: hold)")
                line.closest = decomposition
                return .hold(line)
            case .allow where negativeForbidden:
                var line = hold(finding, excess, .negativeForbidden,
                    "taking back \(excess.rupiah) would make the balance negative, which a CHECK constraint on the balance forbids")
                line.closest = decomposition
                return .hold(line)
            case .allow:
                break
            case .clamp:
                takeBack = finding.balance.isPositive ? finding.balance : .zero
                receivable = excess - takeBack
            }
        }
        let line = AdjustmentLine(
            userId: finding.userId, label: finding.label, contact: finding.contact,
            balance: finding.balance, ledger: finding.ledger, openReceivables: finding.openReceivables,
            excess: excess, delta: -takeBack, receivable: receivable, balanceAfter: finding.balance - takeBack,
            attribution: decomposition, decompositions: count, ambiguous: count > 1,
            precondition: Precondition(excess: excess),
            idempotencyKey: CorrectionKey.next(
                base: AdjustmentLine.correctionKey(job: job, userId: finding.userId, excess: excess, attribution: decomposition),
                revertKeys: revertKeys),
            revertsKey: nil)
        // Invariant: after apply, balance − ledger − receivables is zero for this user.
        assert(line.balanceAfter - line.ledger - line.openReceivables - line.receivable == .zero)
        return .adjust(line)
    }

    private func hold(_ finding: UserFinding, _ excess: Money, _ reason: HeldLine.Reason, _ explanation: String) -> HeldLine {
        HeldLine(userId: finding.userId, label: finding.label, balance: finding.balance, ledger: finding.ledger,
                 openReceivables: finding.openReceivables, excess: excess, reason: reason, explanation: explanation, closest: nil)
    }
}

extension Money {
    /// The magnitude of a negative amount, for "Rp X below": amounts here are far from Int64.min.
    var negatedOrZero: Money { isNegative ? Money(minorUnits: -minorUnits) : .zero }
}
