import Rupiah

/// What the double-credit job may conclude about a positive excess. A figure that the handler's
/// signatures fit can still be a coincidence: two top-ups credited once each, less a failed
/// purchase charged anyway, can equal one top-up credited twice. The job corrects only what the
/// ordinary story explains, or a story no other known cause explains as well.
public enum OverCreditOutcome: Sendable, Equatable {
    /// The handler alone explains it, and no story with another cause does (or the ordinary story,
    /// every paid window top-up credited once, does).
    case explained(Decomposition, count: Int)
    /// The handler alone explains it, and so does a story with another cause: a person decides.
    case competing(handler: Decomposition, other: Decomposition)
    /// The handler alone explains it only if one paid top-up was never credited (or was taken back
    /// by hand) while another was credited more than once, and no callback log says so. `other` is
    /// a story with another cause that explains it too, when there is one.
    case needsEvidence(handler: Decomposition, other: Decomposition?)
    /// Only handler credits together with another cause explain it.
    case onlyWithOtherCause(Decomposition)
    case unexplained(closest: Decomposition?)
    /// The search would exceed its state budget: a person decides.
    case undecided(statesExplored: Int)
}

extension Attribution {
    /// At most this many purchases at once in a confounding story (one or two purchases charged
    /// wrongly is the known pattern; more is a story no person would accept as a coincidence).
    static let maxConfoundingPurchases = 2
    /// Distinct (amount, kind) pairs of purchases considered; beyond it the user is undecided.
    static let maxConfoundingKeys = 512

    /// Decomposes an over-credit into the handler's signatures and, as confounders, the other known
    /// causes: purchases the balance was charged for without a ledger row (a failed or pending
    /// purchase deducted, a completed one deducted twice) and, through a top-up left at zero, a hand
    /// correction of exactly one top-up. Preference, in order: the ordinary story; a story of the
    /// handler alone that no confounding story matches; otherwise a person decides.
    public func attributeOverCredit(excess: Money, topUps: [CandidateTopUp], lostPurchases: [LostPurchaseCandidate],
                                    purchases: [PurchaseCandidate], completedStatus: String) -> OverCreditOutcome {
        precondition(excess.isPositive, "an over-credit is a positive excess")
        let lostByReference = Dictionary(grouping: lostPurchases, by: \.afterReference)
        let items = topUps.enumerated().map { topUpOptions($1, index: $0, lost: lostByReference[$1.reference] ?? [], markShapes: true) }
        var search = DecompositionSearch(table: items.map { $0.map(\.0) }, maxStates: maxStates)
        let target = excess.minorUnits

        let handlerOnly = search.countByMask(target: target)
        if search.exhausted { return .undecided(statesExplored: search.states) }
        let count = handlerOnly.values.reduce(0) { min(Attribution.maxCountedDecompositions, $0 + $1) }
        func handlerStory(_ mask: UInt16?) -> Decomposition? {
            guard let mask, let picks = search.witness(target: target, mask: mask) else { return nil }
            return decomposition(items: items, picks: picks, topUps: topUps, purchases: [])
        }
        // 1. Every paid window top-up credited once (or as its callback log says): nothing to weigh.
        if let ordinary = handlerStory(Attribution.simplest(handlerOnly.keys.filter { $0 & Attribution.shapeMarks == 0 })) {
            return .explained(ordinary, count: count)
        }
        // 2. The same figure from handler credits less what purchases took.
        let mixed: Decomposition?
        var mixedIsOrdinary = false
        switch confoundingStory(excess: excess, items: items, search: &search, topUps: topUps, purchases: purchases,
                                completedStatus: completedStatus) {
        case .none: mixed = nil
        case .exhausted: return .undecided(statesExplored: search.states)
        case .found(let story, let ordinary): (mixed, mixedIsOrdinary) = (story, ordinary)
        }
        // 3. The handler alone, straying from the ordinary story in one way (some top-ups at zero, or
        //    some credited more than once), or in both ways, which needs a callback log. A story of
        //    another cause competes with the first only when its handler part is ordinary: each then
        //    strays once; one that strays twice (a purchase and a re-delivery) is the weaker story.
        let plausible = handlerStory(Attribution.simplest(handlerOnly.keys.filter { $0 & Attribution.shapeMarks != Attribution.shapeMarks }))
        if search.exhausted { return .undecided(statesExplored: search.states) }
        if let plausible {
            if let mixed, mixedIsOrdinary { return .competing(handler: plausible, other: mixed) }
            return .explained(plausible, count: count)
        }
        if let swapped = handlerStory(Attribution.simplest(Array(handlerOnly.keys))) {
            return .needsEvidence(handler: swapped, other: mixed)
        }
        if search.exhausted { return .undecided(statesExplored: search.states) }
        if let mixed { return .onlyWithOtherCause(mixed) }
        guard let best = search.closestTotal(to: target), let picks = search.witness(target: best) else { return .unexplained(closest: nil) }
        return .unexplained(closest: decomposition(items: items, picks: picks, topUps: topUps, purchases: []))
    }

    /// The mask using the fewest kinds and marks (ties: the lower mask).
    static func simplest(_ masks: [UInt16]) -> UInt16? {
        masks.min { ($0.nonzeroBitCount, $0) < ($1.nonzeroBitCount, $1) }
    }

    private enum Confounding { case none, found(Decomposition, ordinaryHandler: Bool), exhausted }

    /// The simplest story in which handler credits less one or two purchases charged without a
    /// ledger row make the excess. The handler's part may stray from the ordinary story in one way,
    /// not both.
    private func confoundingStory(excess: Money, items: [[(DecompositionSearch.Option, Meaning)]], search: inout DecompositionSearch,
                                  topUps: [CandidateTopUp], purchases: [PurchaseCandidate], completedStatus: String) -> Confounding {
        guard let deductions = Attribution.deductionSets(purchases, completedStatus: completedStatus) else { return .exhausted }
        var best: (rank: Int, decomposition: Decomposition)?
        for set in deductions {
            guard let total = try? excess.adding(set.total), total.minorUnits <= search.largestTotal else { continue }
            let masks = search.countByMask(target: total.minorUnits).keys
            if search.exhausted { return .exhausted }
            // An ordinary handler part ranks first; within a rank, fewer and smaller deductions first.
            let ordinary = Attribution.simplest(masks.filter { $0 & Attribution.shapeMarks == 0 })
            let oneWay = Attribution.simplest(masks.filter { $0 & Attribution.shapeMarks != Attribution.shapeMarks })
            guard let mask = ordinary ?? oneWay else { continue }
            let rank = ordinary != nil ? 0 : 1
            if let best, best.rank <= rank { continue }
            guard let picks = search.witness(target: total.minorUnits, mask: mask) else { continue }
            let handler = decomposition(items: items, picks: picks, topUps: topUps, purchases: [])
            let taken = set.purchases.map { purchase, kind in
                PurchaseAttribution(transactionId: purchase.transactionId, status: purchase.status, amount: purchase.amount,
                                    kind: kind, contribution: Money(minorUnits: -purchase.amount.minorUnits))
            }
            let kinds = Set(handler.classification + set.purchases.map(\.1)).sorted()
            best = (rank, Decomposition(topUps: handler.topUps, purchases: taken, total: excess, classification: kinds))
            if rank == 0 { break }
        }
        return best.map { .found($0.decomposition, ordinaryHandler: $0.rank == 0) } ?? .none
    }

    /// One or two purchases the balance may have been charged for, by total, smallest first; one
    /// set per (total, kinds). Nil when there are more distinct purchases than the search considers.
    static func deductionSets(_ purchases: [PurchaseCandidate], completedStatus: String)
        -> [(total: Money, purchases: [(PurchaseCandidate, SignatureKind)])]? {
        var seen = Set<String>()
        var keys: [(PurchaseCandidate, SignatureKind)] = []
        var repeated = Set<String>()
        for purchase in purchases where purchase.amount.isPositive {
            let kind: SignatureKind = purchase.status == completedStatus ? .purchaseDeductedTwice : .failedPurchaseDeducted
            let key = "\(purchase.amount.minorUnits)/\(kind.rawValue)"
            if seen.insert(key).inserted { keys.append((purchase, kind)) } else { repeated.insert(key) }
        }
        guard keys.count <= maxConfoundingKeys else { return nil }
        var sets: [(total: Money, purchases: [(PurchaseCandidate, SignatureKind)])] = keys.map { ($0.0.amount, [$0]) }
        if maxConfoundingPurchases >= 2 {
            for i in keys.indices {
                // The same price twice needs two purchases of it.
                if repeated.contains("\(keys[i].0.amount.minorUnits)/\(keys[i].1.rawValue)"),
                   let second = purchases.first(where: { $0.amount == keys[i].0.amount && $0.transactionId != keys[i].0.transactionId
                                                        && ($0.status == completedStatus) == (keys[i].1 == .purchaseDeductedTwice) }),
                   let total = try? keys[i].0.amount.adding(second.amount) {
                    sets.append((total, [keys[i], (second, keys[i].1)]))
                }
                for j in keys.indices where j > i {
                    guard let total = try? keys[i].0.amount.adding(keys[j].0.amount) else { continue }
                    sets.append((total, [keys[i], keys[j]]))
                }
            }
        }
        return sets.sorted { ($0.purchases.count, $0.total) < ($1.purchases.count, $1.total) }
    }
}
