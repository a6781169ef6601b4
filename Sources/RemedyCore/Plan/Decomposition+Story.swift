import Rupiah

/// A decomposition told as finance reads it: which top-ups the handler credited how often, and
/// which purchases were charged without a ledger row. Used in holds (terminal, HTML report, CSV).
extension Decomposition {
    /// "T1 credited twice by the handler", "T1 and T2 credited once each by the handler",
    /// "T1 credited 3 times and T2 once by the handler"; with top-ups left at zero:
    /// "T1 credited twice by the handler and T2 not at all or already taken back by hand".
    func handlerStory(candidates: [CandidateTopUp]) -> String {
        var text: String
        let runs = Set(topUps.map(\.handlerRuns))
        if topUps.isEmpty {
            text = "no top-up credited by the handler"
        } else if runs.count == 1, let only = runs.first {
            let names = Decomposition.list(topUps.map(\.reference))
            text = "\(names) credited \(Decomposition.times(only))\(topUps.count > 1 ? " each" : "") by the handler"
        } else {
            let parts = topUps.enumerated().map { index, use in
                "\(use.reference) \(index == 0 ? "credited " : "")\(Decomposition.times(use.handlerRuns))"
            }
            text = Decomposition.list(parts) + " by the handler"
        }
        let lost = topUps.flatMap(\.lostPurchases)
        if !lost.isEmpty {
            text += ", with \(lost.count == 1 ? "a purchase" : "purchases") of \(Decomposition.list(lost.map(\.amount.rupiah))) its write erased"
        }
        let credited = Set(topUps.map(\.transactionId))
        let left = candidates.filter { $0.amountReceived.isPositive && !credited.contains($0.transactionId) }.map(\.reference)
        if !left.isEmpty {
            text += " and \(Decomposition.list(left)) not at all or already taken back by hand"
        }
        return text
    }

    /// "a failed purchase P9 of Rp 100.000 charged anyway", "a completed purchase P9 of Rp 100.000
    /// charged twice"; nil when no purchase takes part.
    var deductionStory: String? {
        guard !purchases.isEmpty else { return nil }
        return Decomposition.list(purchases.map { purchase in
            purchase.kind == .purchaseDeductedTwice
                ? "a \(purchase.status) purchase \(purchase.transactionId) of \(purchase.amount.rupiah) charged twice"
                : "a \(purchase.status) purchase \(purchase.transactionId) of \(purchase.amount.rupiah) charged anyway"
        })
    }

    /// What correcting by this story would move: "take back Rp 391.500, give back Rp 100.000".
    var moves: String {
        let given = purchases.reduce(Money.zero) { $0 + $1.amount }
        let taken = total + given
        return given.isZero ? "take back \(taken.rupiah)" : "take back \(taken.rupiah), give back \(given.rupiah)"
    }

    /// The whole story in one clause: "T1 and T2 credited once each by the handler (Rp 391.500) less a
    /// failed purchase P9 of Rp 100.000 charged anyway".
    func story(candidates: [CandidateTopUp]) -> String {
        guard let deductions = deductionStory else { return handlerStory(candidates: candidates) }
        let credited = purchases.reduce(total) { $0 + $1.amount }
        return "\(handlerStory(candidates: candidates)) (\(credited.rupiah)) less \(deductions)"
    }

    static func times(_ count: Int) -> String {
        switch count {
        case 1: return "once"
        case 2: return "twice"
        default: return "\(count) times"
        }
    }

    /// "A", "A and B", "A, B and C".
    static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
    }
}

extension OverCreditOutcome {
    /// The hold's sentence when the outcome holds the user for a person (nil for the others):
    /// both stories and what each would move.
    public func explanation(excess: Money, candidates: [CandidateTopUp]) -> String? {
        switch self {
        case .competing(let handler, let other):
            return "\(excess.rupiah) could be \(handler.story(candidates: candidates)) (\(handler.moves)), "
                + "or \(other.story(candidates: candidates)) (\(other.moves)); a person must decide"
        case .needsEvidence(let handler, let other):
            let also = other.map { ", or \($0.story(candidates: candidates)) (\($0.moves))" } ?? ""
            return "\(excess.rupiah) could be \(handler.story(candidates: candidates)) (\(handler.moves))\(also); "
                + "no callback log confirms a callback handled more than once while another paid top-up was not, so a person must decide"
        case .onlyWithOtherCause(let mixed):
            return "\(excess.rupiah) is \(mixed.story(candidates: candidates)) (\(mixed.moves)): "
                + "the bug and another cause together; this job corrects the bug alone, so a person must decide"
        case .explained, .unexplained, .undecided:
            return nil
        }
    }
}
