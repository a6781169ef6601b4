import Rupiah

/// What the detect step found for one bug-window top-up.
public struct CandidateTopUp: Sendable, Codable, Equatable {
    public let transactionId: String
    public let reference: String
    public let paidAt: String
    public let amount: Money
    public let amountReceived: Money
    public let status: String

    public init(transactionId: String, reference: String, paidAt: String, amount: Money, amountReceived: Money, status: String) {
        self.transactionId = transactionId
        self.reference = reference
        self.paidAt = paidAt
        self.amount = amount
        self.amountReceived = amountReceived
        self.status = status
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

/// A set of signature choices whose contributions add up to an amount exactly.
public struct Decomposition: Sendable, Codable, Equatable {
    public let topUps: [TopUpAttribution]
    public let total: Money

    /// `T4715…×1, T4716…×2 + lost purchase Rp 50.000`: how a summary line shows the evidence.
    public var shortText: String {
        topUps.map { use in
            var text = "\(use.reference)×\(use.handlerRuns)"
            for purchase in use.lostPurchases { text += " + lost purchase \(purchase.amount.rupiah)" }
            return text
        }.joined(separator: ", ")
    }
}

public enum AttributionOutcome: Sendable, Equatable {
    /// An exact decomposition exists; `count` of them (saturating at `Attribution.maxCountedDecompositions`).
    case explained(Decomposition, count: Int)
    /// No decomposition within the bounds; the closest reachable total, when one was found.
    case unexplained(closest: Decomposition?)
    /// The search would exceed its state budget: a person decides.
    case undecided(statesExplored: Int)
}

/// Finds how an excess decomposes into the bug's signatures, exactly and within bounds:
/// per top-up the handler's credit `k × amount_received` (k ≤ maxRepeats), plus `(k − 1) × amount`
/// where the trigger re-fires on re-delivery, plus the amounts of purchases the handler's write
/// erased (at most `maxLostPurchases` per top-up). k = 0 is allowed: a person may already have
/// taken that top-up's credit back by hand.
///
/// A memoized count over (top-up index, remaining amount), bounded by a state budget.
public struct Attribution: Sendable {
    public static let maxCountedDecompositions = 1_000_000
    /// Reachable totals kept when looking for the closest decomposition of an unexplained excess.
    static let maxClosestSums = 20_000

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

    /// One top-up's possible contributions; option 0 is always "no credit left" (contribution 0).
    struct Choice {
        let handlerRuns: Int
        let lostPurchases: [LostPurchaseCandidate]
        let contribution: Int64
    }

    func choices(for topUp: CandidateTopUp, lost: [LostPurchaseCandidate]) -> [Choice] {
        var choices = [Choice(handlerRuns: 0, lostPurchases: [], contribution: 0)]
        // Non-positive amounts cannot be a credit the handler made: such a top-up explains nothing.
        guard topUp.amountReceived.isPositive, !topUp.amount.isNegative else { return choices }
        let subsets = Attribution.subsets(of: lost.filter { $0.amount.isPositive }, maxSize: maxLostPurchases)
        for runs in 1...maxRepeats {
            let refires = triggerRefires ? runs - 1 : 0
            guard let credit = try? topUp.amountReceived.multiplied(by: Int64(runs)).adding(topUp.amount.multiplied(by: Int64(refires))) else { continue }
            for subset in subsets {
                guard let lostTotal = try? subset.map(\.amount).checkedSum(),
                      let total = try? credit.adding(lostTotal) else { continue }
                choices.append(Choice(handlerRuns: runs, lostPurchases: subset, contribution: total.minorUnits))
            }
        }
        // Ascending, so the first witness found prefers no credit on earlier top-ups: remainders
        // of hand-corrected users are explained by their latest top-ups.
        return choices.sorted { ($0.contribution, $0.handlerRuns) < ($1.contribution, $1.handlerRuns) }
    }

    static func subsets(of items: [LostPurchaseCandidate], maxSize: Int) -> [[LostPurchaseCandidate]] {
        var result: [[LostPurchaseCandidate]] = [[]]
        let bounded = Array(items.prefix(8))  // 2^8 subsets at most, whatever the data
        for item in bounded {
            result += result.filter { $0.count < maxSize }.map { $0 + [item] }
        }
        return result
    }

    public func attribute(excess: Money, topUps: [CandidateTopUp], lostPurchases: [LostPurchaseCandidate]) -> AttributionOutcome {
        precondition(excess.isPositive, "only a positive excess is attributed")
        let lostByReference = Dictionary(grouping: lostPurchases, by: \.afterReference)
        let table = topUps.map { choices(for: $0, lost: lostByReference[$0.reference] ?? []) }
        var search = Search(table: table, maxStates: maxStates)
        let count = search.count(from: 0, remaining: excess.minorUnits)
        if search.exhausted { return .undecided(statesExplored: search.states) }
        if count > 0, let picks = search.witness(target: excess.minorUnits) {
            return .explained(decomposition(topUps: topUps, table: table, picks: picks), count: count)
        }
        return .unexplained(closest: closest(to: excess.minorUnits, topUps: topUps, table: table))
    }

    private func closest(to target: Int64, topUps: [CandidateTopUp], table: [[Choice]]) -> Decomposition? {
        var sums: Set<Int64> = [0]
        for choices in table {
            var next = Set<Int64>()
            for sum in sums { for choice in choices { next.insert(sum &+ choice.contribution) } }
            if next.count > Attribution.maxClosestSums {
                // Keep the totals nearest the target; the answer is best effort past this size.
                next = Set(next.sorted { abs($0 - target) < abs($1 - target) }.prefix(Attribution.maxClosestSums))
            }
            sums = next
        }
        guard let best = sums.filter({ $0 != 0 }).min(by: { (abs($0 - target), $0) < (abs($1 - target), $1) }) else { return nil }
        var search = Search(table: table, maxStates: maxStates)
        guard search.count(from: 0, remaining: best) > 0, let picks = search.witness(target: best) else { return nil }
        return decomposition(topUps: topUps, table: table, picks: picks)
    }

    private func decomposition(topUps: [CandidateTopUp], table: [[Choice]], picks: [Int]) -> Decomposition {
        var uses: [TopUpAttribution] = []
        var total: Int64 = 0
        for (index, pick) in picks.enumerated() where table[index][pick].handlerRuns > 0 {
            let choice = table[index][pick]
            let topUp = topUps[index]
            total += choice.contribution
            uses.append(TopUpAttribution(
                transactionId: topUp.transactionId, reference: topUp.reference, paidAt: topUp.paidAt,
                amount: topUp.amount, amountReceived: topUp.amountReceived, handlerRuns: choice.handlerRuns,
                triggerRefires: triggerRefires ? choice.handlerRuns - 1 : 0, lostPurchases: choice.lostPurchases,
                contribution: Money(minorUnits: choice.contribution)))
        }
        return Decomposition(topUps: uses, total: Money(minorUnits: total))
    }

    /// The memoized count and its witness. Contributions are non-negative, so a remaining amount
    /// below zero or above what the rest can still add is a dead end.
    struct Search {
        let table: [[Choice]]
        let maxStates: Int
        let suffixMaximum: [Int64]
        var memo: [State: Int] = [:]
        var states = 0
        var exhausted = false

        struct State: Hashable { let index: Int; let remaining: Int64 }

        init(table: [[Choice]], maxStates: Int) {
            self.table = table
            self.maxStates = maxStates
            var suffix = [Int64](repeating: 0, count: table.count + 1)
            for index in stride(from: table.count - 1, through: 0, by: -1) {
                let (sum, overflow) = suffix[index + 1].addingReportingOverflow(table[index].map(\.contribution).max() ?? 0)
                suffix[index] = overflow ? .max : sum
            }
            self.suffixMaximum = suffix
        }

        mutating func count(from index: Int, remaining: Int64) -> Int {
            if remaining < 0 || remaining > suffixMaximum[index] { return 0 }
            if index == table.count { return remaining == 0 ? 1 : 0 }
            let state = State(index: index, remaining: remaining)
            if let known = memo[state] { return known }
            states += 1
            if states > maxStates { exhausted = true; return 0 }
            var ways = 0
            for choice in table[index] where choice.contribution <= remaining {
                ways = min(Attribution.maxCountedDecompositions, ways + count(from: index + 1, remaining: remaining - choice.contribution))
                if exhausted { return 0 }
            }
            memo[state] = ways
            return ways
        }

        /// The first decomposition in choice order; call after `count` found at least one.
        mutating func witness(target: Int64) -> [Int]? {
            var picks: [Int] = []
            var remaining = target
            for index in 0..<table.count {
                guard let pick = table[index].indices.first(where: { choice in
                    let contribution = table[index][choice].contribution
                    return contribution <= remaining && count(from: index + 1, remaining: remaining - contribution) > 0
                }) else { return nil }
                picks.append(pick)
                remaining -= table[index][pick].contribution
            }
            return remaining == 0 ? picks : nil
        }
    }
}
