import Rupiah

/// What the detect step found for one bug-window top-up.
public struct CandidateTopUp: Sendable, Codable, Equatable {
    public let transactionId: String
    public let reference: String
    public let paidAt: String
    public let amount: Money
    public let amountReceived: Money
    public let status: String
    /// How many times the buggy handler ran for this top-up by a callback log, when the job maps
    /// one; nil when no log says.
    public let loggedHandlerRuns: Int?

    public init(transactionId: String, reference: String, paidAt: String, amount: Money, amountReceived: Money, status: String,
                loggedHandlerRuns: Int? = nil) {
        self.transactionId = transactionId
        self.reference = reference
        self.paidAt = paidAt
        self.amount = amount
        self.amountReceived = amountReceived
        self.status = status
        self.loggedHandlerRuns = loggedHandlerRuns
    }
}

/// A completed purchase that finished right after a candidate's credit: the handler's
/// read-then-write may have erased its deduction.
public struct LostPurchaseCandidate: Sendable, Codable, Equatable {
    public let transactionId: String
    public let completedAt: String
    public let amount: Money
    /// The top-up whose handler run it followed.
    public let afterReference: String

    public init(transactionId: String, completedAt: String, amount: Money, afterReference: String) {
        self.transactionId = transactionId
        self.completedAt = completedAt
        self.amount = amount
        self.afterReference = afterReference
    }
}

/// A purchase the balance may have been charged for without the ledger showing it: a failed or
/// pending purchase deducted once, or a completed one deducted twice (by the old purchase
/// controller and by the trigger, seed 000's member1).
public struct PurchaseCandidate: Sendable, Codable, Equatable {
    public let transactionId: String
    public let status: String
    public let amount: Money
    public let createdAt: String

    public init(transactionId: String, status: String, amount: Money, createdAt: String) {
        self.transactionId = transactionId
        self.status = status
        self.amount = amount
        self.createdAt = createdAt
    }
}

/// The signatures an excess may be attributed to; a decomposition's classification is the set used.
public enum SignatureKind: String, Sendable, Codable, CaseIterable, Comparable {
    case handlerCredit = "handler_credit"
    case triggerRefire = "trigger_refire"
    case lostUpdate = "lost_update"
    case purchaseDeductedTwice = "purchase_deducted_twice"
    case failedPurchaseDeducted = "failed_purchase_deducted"

    /// Its place in `allCases`, the order classifications list kinds in, without building that
    /// array (every line's rules ask; SignatureKindOrderTests hold the two to one order).
    var order: Int {
        switch self {
        case .handlerCredit: 0
        case .triggerRefire: 1
        case .lostUpdate: 2
        case .purchaseDeductedTwice: 3
        case .failedPurchaseDeducted: 4
        }
    }

    var bit: UInt16 { UInt16(1) << UInt16(order) }

    static func kinds(in mask: UInt16) -> [SignatureKind] { allCases.filter { mask & $0.bit != 0 } }

    public static func < (lhs: SignatureKind, rhs: SignatureKind) -> Bool {
        lhs.order < rhs.order
    }

    /// The classification a kind belongs to: what a standing policy allows and what "more than
    /// one classification" counts.
    public var family: SignatureFamily {
        switch self {
        case .handlerCredit, .triggerRefire, .lostUpdate: return .doubleCredit
        case .purchaseDeductedTwice, .failedPurchaseDeducted: return .purchaseDeduction
        }
    }
}

public enum SignatureFamily: String, Sendable, Codable, CaseIterable, Comparable {
    /// Over-credit by the Tripay callback handler (and what came with it).
    case doubleCredit = "double_credit"
    /// Purchases charged to the balance that the ledger does not show.
    case purchaseDeduction = "purchase_deduction"

    public static func < (lhs: SignatureFamily, rhs: SignatureFamily) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Why a balance moved, in the audit log's words.
    public var reason: String {
        switch self {
        case .doubleCredit: return "over-credit by the Tripay callback handler, taken back"
        case .purchaseDeduction: return "purchase charged to the balance without a ledger row, given back"
        }
    }
}

/// One top-up's share of an explained excess.
public struct TopUpAttribution: Sendable, Codable, Equatable {
    public let transactionId: String
    public let reference: String
    public let paidAt: String
    public let amount: Money
    public let amountReceived: Money
    /// How many times the handler credited amount_received (Tripay re-delivers callbacks).
    public let handlerRuns: Int
    /// How many times a re-firing trigger added `amount` again (handler runs − 1, or 0).
    public let triggerRefires: Int
    public let lostPurchases: [LostPurchaseCandidate]
    public let contribution: Money
}

/// One purchase's share of a shortfall (a negative contribution).
public struct PurchaseAttribution: Sendable, Codable, Equatable {
    public let transactionId: String
    public let status: String
    public let amount: Money
    public let kind: SignatureKind
    public let contribution: Money
}

/// A set of signature choices whose contributions add up to an amount exactly.
public struct Decomposition: Sendable, Codable, Equatable {
    public let topUps: [TopUpAttribution]
    public let purchases: [PurchaseAttribution]
    public let total: Money
    /// The signature kinds this decomposition uses.
    public let classification: [SignatureKind]

    /// The classifications (families) it uses.
    public var families: [SignatureFamily] { Array(Set(classification.map(\.family))).sorted() }

    public init(topUps: [TopUpAttribution], purchases: [PurchaseAttribution] = [], total: Money, classification: [SignatureKind] = []) {
        self.topUps = topUps
        self.purchases = purchases
        self.total = total
        self.classification = classification
    }

    /// `T4715…×1, T4716…×2 + lost purchase Rp 50.000`: how a summary line shows the evidence.
    public var shortText: String {
        var parts = topUps.map { use in
            var text = "\(use.reference)×\(use.handlerRuns)"
            for purchase in use.lostPurchases { text += " + lost purchase \(purchase.amount.rupiah)" }
            return text
        }
        for purchase in purchases {
            let what = purchase.kind == .purchaseDeductedTwice ? "deducted twice" : "\(purchase.status) but deducted"
            parts.append("purchase \(purchase.amount.rupiah) \(what)")
        }
        return parts.joined(separator: ", ")
    }
}

public enum AttributionOutcome: Sendable, Equatable {
    /// Exact decompositions exist: `count` of them in all (saturating); `decomposition` is the
    /// one using the fewest signature kinds.
    case explained(Decomposition, count: Int)
    /// No decomposition within the bounds; the closest reachable total, when one was found.
    case unexplained(closest: Decomposition?)
    /// The search would exceed its state budget: a person decides.
    case undecided(statesExplored: Int)
}

/// Finds how an excess decomposes into the bug's signatures, exactly and within bounds:
/// per top-up the handler's credit `k × amount_received` (k ≤ maxRepeats), plus `(k − 1) × amount`
/// where the trigger re-fires on re-delivery, plus the amounts of purchases the handler's write
/// erased (at most `maxLostPurchases` per top-up); and, where enabled, per purchase a deduction the
/// ledger does not show (a negative contribution). Choosing nothing is always allowed: a person
/// may already have corrected part by hand.
public struct Attribution: Sendable {
    public static let maxCountedDecompositions = DecompositionSearch.maxCount
    /// Marks beside the signature bits (which use the low bits): a paid top-up left at zero, or one
    /// credited two or more times, with no callback log to confirm it.
    static let unconfirmedZero: UInt16 = 1 << 14
    static let unconfirmedRepeat: UInt16 = 1 << 15
    static let shapeMarks = unconfirmedZero | unconfirmedRepeat

    public let maxRepeats: Int
    public let triggerRefires: Bool
    public let maxLostPurchases: Int
    public let maxStates: Int

    public init(maxRepeats: Int, triggerRefires: Bool, maxLostPurchases: Int, maxStates: Int) {
        precondition(maxRepeats >= 1 && maxLostPurchases >= 0 && maxStates > 0)
        self.maxRepeats = maxRepeats
        self.triggerRefires = triggerRefires
        self.maxLostPurchases = maxLostPurchases
        self.maxStates = maxStates
    }

    /// What one option of one item stands for, to rebuild the evidence from the picks.
    enum Meaning {
        case nothing
        case topUp(index: Int, handlerRuns: Int, lost: [LostPurchaseCandidate])
        case purchase(index: Int, kind: SignatureKind)
    }

    /// `markShapes` adds `unconfirmedZero` / `unconfirmedRepeat` to the options that stray from
    /// the ordinary story without a callback log to say so (the double-credit job's search).
    func topUpOptions(_ topUp: CandidateTopUp, index: Int, lost: [LostPurchaseCandidate], markShapes: Bool = false) -> [(DecompositionSearch.Option, Meaning)] {
        var options: [(DecompositionSearch.Option, Meaning)] = [(.init(value: 0, mask: 0), .nothing)]
        // Non-positive amounts cannot be a credit the handler made: such a top-up explains nothing.
        guard topUp.amountReceived.isPositive, !topUp.amount.isNegative else { return options }
        let logged = markShapes ? topUp.loggedHandlerRuns : nil
        // A paid top-up at zero: never credited, or its credit already taken back by hand; only a
        // log with no handled delivery confirms the first, nothing here confirms the second.
        if markShapes, logged != 0 { options[0] = (.init(value: 0, mask: Attribution.unconfirmedZero), .nothing) }
        let subsets = Attribution.subsets(of: lost.filter { $0.amount.isPositive }, maxSize: maxLostPurchases)
        // A callback log says how often the handler ran: that count (or zero, taken back by hand), no other.
        let counts = logged.map { $0 >= 1 && $0 <= maxRepeats ? [$0] : [] } ?? Array(1...maxRepeats)
        for runs in counts {
            let refires = triggerRefires ? runs - 1 : 0
            guard let credit = try? topUp.amountReceived.multiplied(by: Int64(runs)).adding(topUp.amount.multiplied(by: Int64(refires))) else { continue }
            for subset in subsets {
                guard let lostTotal = try? subset.map(\.amount).checkedSum(), let total = try? credit.adding(lostTotal) else { continue }
                var mask = SignatureKind.handlerCredit.bit
                if markShapes, logged == nil, runs >= 2 { mask |= Attribution.unconfirmedRepeat }
                if refires > 0 { mask |= SignatureKind.triggerRefire.bit }
                if !subset.isEmpty { mask |= SignatureKind.lostUpdate.bit }
                options.append((.init(value: total.minorUnits, mask: mask), .topUp(index: index, handlerRuns: runs, lost: subset)))
            }
        }
        // Ascending, so the first witness prefers no credit on earlier top-ups: remainders of
        // hand-corrected users are explained by their latest top-ups.
        return [options[0]] + options.dropFirst().sorted { $0.0.value < $1.0.value }
    }

    private func purchaseOptions(_ purchase: PurchaseCandidate, index: Int, completedStatus: String) -> [(DecompositionSearch.Option, Meaning)] {
        let nothing: (DecompositionSearch.Option, Meaning) = (.init(value: 0, mask: 0), .nothing)
        guard purchase.amount.isPositive else { return [nothing] }
        let kind: SignatureKind = purchase.status == completedStatus ? .purchaseDeductedTwice : .failedPurchaseDeducted
        return [nothing, (.init(value: -purchase.amount.minorUnits, mask: kind.bit), .purchase(index: index, kind: kind))]
    }

    static func subsets(of items: [LostPurchaseCandidate], maxSize: Int) -> [[LostPurchaseCandidate]] {
        var result: [[LostPurchaseCandidate]] = [[]]
        let bounded = Array(items.prefix(8))  // 2^8 subsets at most, whatever the data
        for item in bounded {
            result += result.filter { $0.count < maxSize }.map { $0 + [item] }
        }
        return result
    }

    /// `purchases` (with the ledger's completed status) enable the purchase-deduction signatures.
    public func attribute(excess: Money, topUps: [CandidateTopUp], lostPurchases: [LostPurchaseCandidate],
                          purchases: [PurchaseCandidate] = [], completedStatus: String = "completed") -> AttributionOutcome {
        precondition(!excess.isZero, "a zero excess needs no attribution")
        let lostByReference = Dictionary(grouping: lostPurchases, by: \.afterReference)
        var items = topUps.enumerated().map { topUpOptions($1, index: $0, lost: lostByReference[$1.reference] ?? []) }
        items += purchases.enumerated().map { purchaseOptions($1, index: $0, completedStatus: completedStatus) }
        var search = DecompositionSearch(table: items.map { $0.map(\.0) }, maxStates: maxStates)
        let byMask = search.countByMask(target: excess.minorUnits)
        if search.exhausted { return .undecided(statesExplored: search.states) }
        if !byMask.isEmpty, let picks = search.witness(target: excess.minorUnits, mask: byMask.keys.min(by: { ($0.nonzeroBitCount, $0) < ($1.nonzeroBitCount, $1) })) {
            let count = byMask.values.reduce(0) { min(Attribution.maxCountedDecompositions, $0 + $1) }
            return .explained(decomposition(items: items, picks: picks, topUps: topUps, purchases: purchases), count: count)
        }
        guard let best = search.closestTotal(to: excess.minorUnits), let picks = search.witness(target: best) else { return .unexplained(closest: nil) }
        return .unexplained(closest: decomposition(items: items, picks: picks, topUps: topUps, purchases: purchases))
    }

    func decomposition(items: [[(DecompositionSearch.Option, Meaning)]], picks: [Int], topUps: [CandidateTopUp], purchases: [PurchaseCandidate]) -> Decomposition {
        var uses: [TopUpAttribution] = []
        var deductions: [PurchaseAttribution] = []
        var total: Int64 = 0
        var mask: UInt16 = 0
        for (item, pick) in zip(items, picks) {
            let (option, meaning) = item[pick]
            total += option.value
            mask |= option.mask
            switch meaning {
            case .nothing:
                continue
            case .topUp(let index, let runs, let lost):
                let topUp = topUps[index]
                uses.append(TopUpAttribution(
                    transactionId: topUp.transactionId, reference: topUp.reference, paidAt: topUp.paidAt, amount: topUp.amount,
                    amountReceived: topUp.amountReceived, handlerRuns: runs, triggerRefires: triggerRefires ? runs - 1 : 0,
                    lostPurchases: lost, contribution: Money(minorUnits: option.value)))
            case .purchase(let index, let kind):
                let purchase = purchases[index]
                deductions.append(PurchaseAttribution(transactionId: purchase.transactionId, status: purchase.status, amount: purchase.amount,
                                                      kind: kind, contribution: Money(minorUnits: option.value)))
            }
        }
        return Decomposition(topUps: uses, purchases: deductions, total: Money(minorUnits: total), classification: SignatureKind.kinds(in: mask))
    }
}
