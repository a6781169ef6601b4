import Crypto
import Foundation
import Rupiah

/// What every adjustment line must satisfy before any command trusts it: the numbers a person is
/// shown (balance, ledger, excess, attribution) and the numbers apply moves (delta, receivable,
/// idempotency key) must be one story. The planner computes them this way; a line that breaks any
/// rule was not written by remedy, and one such line refuses the whole plan.
extension AdjustmentLine {
    /// Everything of a plan's header that the rules read, and nothing else: two plans with equal
    /// contexts give every line the same verdict (what lets the reading pass check lines against
    /// a header it has not reached yet, PlanBundle+Reading).
    struct RulesContext: Equatable, Sendable {
        var kind: Plan.Kind
        var job: String
        var negativeBalancePolicy: NegativeBalancePolicy
        var triggerRefires: Bool

        init(kind: Plan.Kind, job: String, negativeBalancePolicy: NegativeBalancePolicy, triggerRefires: Bool) {
            self.kind = kind
            self.job = job
            self.negativeBalancePolicy = negativeBalancePolicy
            self.triggerRefires = triggerRefires
        }

        init(_ plan: Plan) {
            self.init(kind: plan.kind, job: plan.job, negativeBalancePolicy: plan.negativeBalancePolicy, triggerRefires: plan.evidence.triggerRefires)
        }
    }

    /// Checks `lines` (the plan's lines from `firstIndex` on) against the rules of `plan`'s kind.
    static func checkRules(of lines: [AdjustmentLine], in plan: Plan, firstIndex: Int = 0) throws {
        let context = RulesContext(plan)
        for (offset, line) in lines.enumerated() {
            if let broken = line.brokenRule(in: context) {
                throw brokenRuleRefusal(line: firstIndex + offset + 1, userId: line.userId, broken)
            }
        }
    }

    /// The refusal of a plan whose adjustment `line` (from 1) breaks `broken`.
    static func brokenRuleRefusal(line: Int, userId: String, _ broken: String) -> RemedyError {
        RemedyError(.tampered, "adjustment \(line) (user \(userId)) breaks remedy's arithmetic: \(broken); remedy never writes such a line: make a new plan")
    }

    /// The first rule this line breaks, in words, or nil.
    func brokenRule(in context: RulesContext) -> String? {
        brokenRule(in: context) { job in keyRecomputes(job: job) }
    }

    /// The first rule this line breaks in each context (the reading pass checks a line against
    /// two, with one job): the key, the costliest rule, is recomputed once for each job in turn.
    func brokenRules(in contexts: [RulesContext]) -> [String?] {
        var last: (job: String, recomputes: Bool)?
        return contexts.map { context in
            brokenRule(in: context) { job in
                if let last, last.job == job { return last.recomputes }
                let recomputes = keyRecomputes(job: job)
                last = (job, recomputes)
                return recomputes
            }
        }
    }

    /// Whether the idempotency key recomputes from the line under `job`, in some generation (a
    /// new one after each revert).
    private func keyRecomputes(job: String) -> Bool {
        let base = AdjustmentLine.correctionKey(job: job, userId: userId, excess: excess, attribution: attribution)
        return CorrectionKey.generation(of: idempotencyKey, base: base) != nil
    }

    private func brokenRule(in context: RulesContext, keyRecomputes: (String) -> Bool) -> String? {
        guard precondition.excess == excess else {
            return "its precondition excess \(precondition.excess.rupiah) is not its excess \(excess.rupiah)"
        }
        guard let computed = try? balance.subtracting(ledger).subtracting(openReceivables), computed == excess else {
            return "excess \(excess.rupiah) is not balance \(balance.rupiah) − ledger \(ledger.rupiah) − open receivables \(openReceivables.rupiah)"
        }
        guard let after = try? balance.adding(delta), after == balanceAfter else {
            return "balance_after \(balanceAfter.rupiah) is not balance \(balance.rupiah) + delta \(delta.rupiah)"
        }
        guard decompositions >= 1, ambiguous == (decompositions > 1) else {
            return "ambiguous (\(ambiguous)) does not follow from \(decompositions) decomposition(s)"
        }
        switch context.kind {
        case .revert:
            guard let revertsKey, idempotencyKey == RevertPlanner.revertKey(of: revertsKey) else {
                return "its idempotency key is not the revert key of the correction it names"
            }
            // A take-back's revert puts back what was taken (a clamped one took nothing and left
            // everything owed: its revert moves nothing and settles the receivable); a give-back's
            // (a drift job restores a purchase charged twice) takes back what was given, and a
            // give-back opened no receivable.
            guard !receivable.isPositive, !delta.isZero || receivable.isNegative, !delta.isNegative || receivable.isZero else {
                return "a revert puts back what was taken and settles what was left owed (delta \(delta.rupiah) not negative, receivable \(receivable.rupiah) not positive), or takes back what was given (delta negative, no receivable), and moves or settles something"
            }
            return nil
        case .correction:
            guard revertsKey == nil else { return "a correction line names a correction it reverts" }
            guard !excess.isZero, let expected = try? excess.subtracting(receivable).negated(), delta == expected else {
                return "delta \(delta.rupiah) is not −(excess \(excess.rupiah) − receivable \(receivable.rupiah))"
            }
            if excess.isPositive {
                guard !delta.isPositive, !receivable.isNegative else {
                    return "an over-credit is taken back (delta \(delta.rupiah) must not be positive, receivable \(receivable.rupiah) not negative)"
                }
                guard receivable.isZero || context.negativeBalancePolicy == .clamp else {
                    return "it opens a receivable of \(receivable.rupiah), which only negative_balance: clamp does"
                }
            } else {
                guard receivable.isZero else { return "a shortfall given back opens no receivable (\(receivable.rupiah))" }
            }
            if let broken = attribution.brokenRule(explaining: excess, triggerRefires: context.triggerRefires) { return broken }
            guard keyRecomputes(context.job) else {
                return "its idempotency key does not recompute from the job, the user, the excess and the attribution"
            }
            return nil
        }
    }

    /// SHA-256 over the job, the user, the excess and the transactions its attribution names: two
    /// plans made from the same state give the same key, the book accepts it once, and anyone
    /// holding the line can recompute it. (The base key: after a revert, the line carries the next
    /// generation's, see CorrectionKey.)
    static func correctionKey(job: String, userId: String, excess: Money, attribution: Decomposition) -> String {
        // The text's bytes gathered in one buffer: every line's rules recompute its key.
        var text: [UInt8] = []
        text.reserveCapacity(256)
        for part in ["remedy-correction/v2", job, userId, excess.exactText] + attribution.transactionIds.sorted() {
            text.append(contentsOf: part.utf8)
            text.append(UInt8(ascii: "\n"))
        }
        return SHA256.hash(data: text).hexString
    }
}

extension Decomposition {
    /// Every transaction the decomposition names: its top-ups, the purchases their credit
    /// erased, and the purchases it counts.
    var transactionIds: [String] {
        topUps.flatMap { [$0.transactionId] + $0.lostPurchases.map(\.transactionId) } + purchases.map(\.transactionId)
    }

    /// The first way this decomposition fails to add up to `excess`, in words, or nil.
    func brokenRule(explaining excess: Money, triggerRefires: Bool) -> String? {
        guard total == excess else { return "its attribution totals \(total.rupiah), not the excess \(excess.rupiah)" }
        var sum = Money.zero
        // The kinds used, as bits (SignatureKind.bit): no set or sorted array per line.
        var kinds: UInt16 = 0
        for use in topUps {
            let refires = triggerRefires ? use.handlerRuns - 1 : 0
            guard use.handlerRuns >= 1, use.triggerRefires == refires,
                  let credit = try? use.amountReceived.multiplied(by: Int64(use.handlerRuns)).adding(use.amount.multiplied(by: Int64(refires))),
                  let contribution = try? use.lostPurchases.reduce(credit, { try $0.adding($1.amount) }), contribution == use.contribution else {
                return "top-up \(use.reference)'s contribution \(use.contribution.rupiah) is not \(use.handlerRuns) × \(use.amountReceived.rupiah) received + \(use.triggerRefires) re-fire(s) + lost purchases"
            }
            kinds |= SignatureKind.handlerCredit.bit
            if refires > 0 { kinds |= SignatureKind.triggerRefire.bit }
            if !use.lostPurchases.isEmpty { kinds |= SignatureKind.lostUpdate.bit }
            guard let next = try? sum.adding(contribution) else { return "its contributions overflow" }
            sum = next
        }
        for purchase in purchases {
            guard let expected = try? purchase.amount.negated(), purchase.contribution == expected else {
                return "purchase \(purchase.transactionId)'s contribution \(purchase.contribution.rupiah) is not minus its amount \(purchase.amount.rupiah)"
            }
            kinds |= purchase.kind.bit
            guard let next = try? sum.adding(purchase.contribution) else { return "its contributions overflow" }
            sum = next
        }
        guard sum == total else { return "its contributions add up to \(sum.rupiah), not its total \(total.rupiah)" }
        guard classification == SignatureKind.kinds(in: kinds) else {
            return "its classification (\(classification.map(\.rawValue).joined(separator: ", "))) is not the kinds it uses"
        }
        return nil
    }
}
