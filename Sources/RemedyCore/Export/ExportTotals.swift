import Rupiah

/// How many lines ended in each outcome.
public struct OutcomeCounts: Codable, Sendable, Equatable {
    public var planned = 0
    public var applied = 0
    public var alreadyBooked = 0
    public var stale = 0
    public var skipped = 0
    public var pending = 0
    public var held = 0
    public var settled = 0

    public init() {}

    public subscript(outcome: LineOutcome) -> Int {
        get {
            switch outcome {
            case .planned: planned
            case .applied: applied
            case .alreadyBooked: alreadyBooked
            case .stale: stale
            case .skipped: skipped
            case .pending: pending
            case .held: held
            case .settled: settled
            }
        }
        set {
            switch outcome {
            case .planned: planned = newValue
            case .applied: applied = newValue
            case .alreadyBooked: alreadyBooked = newValue
            case .stale: stale = newValue
            case .skipped: skipped = newValue
            case .pending: pending = newValue
            case .held: held = newValue
            case .settled: settled = newValue
            }
        }
    }
}

/// The totals of an export: one value, computed once from the lines, that CSV (Σ of its columns),
/// JSON, HTML and the terminal summary all print. Before apply they describe the proposal; after,
/// what was done.
///
/// - `overCreditFound`: the incident's loss found (PlanTotals), taken back or not.
/// - `takenBack`: Σ −delta over lines that moved (applied) or would move (planned). For a revert: zero.
/// - `givenBack`: for a revert, Σ delta over the same lines; zero for a correction.
/// - `owed`: Σ receivable over the same lines (clamp: what stays owed; negative for a revert that settles).
/// - `notMoved`: Σ |planned delta| over adjustments that did not move (stale, skipped, pending,
///   already booked): `takenBack + notMoved` (or `givenBack + notMoved`) is what the plan proposed.
/// - `heldForReview` / `heldShortfall`: Σ positive excess and Σ shortfall of the holds (PlanTotals).
/// - `wouldGoNegative`: explained excess held at plan time because taking it back would make the
///   balance negative (PlanTotals), plus the planned excess of lines apply skipped for that reason.
/// - `usersAffected`: users whose balance moved (or would move); `usersInPlan`: every user line.
public struct ExportTotals: Codable, Sendable, Equatable {
    public var phase: ExportPhase
    public var overCreditFound: Money
    public var takenBack: Money
    public var givenBack: Money
    public var owed: Money
    public var notMoved: Money
    public var heldForReview: Money
    public var heldShortfall: Money
    public var wouldGoNegative: Money
    public var usersAffected: Int
    public var usersInPlan: Int
    public var counts: OutcomeCounts

    /// Σ delta over the lines: the net balance movement (negative when taking back).
    public var netMovement: Money { givenBack - takenBack }

    /// The totals as people read them, label and value, in the order every human format shows them.
    public func rows(kind: Plan.Kind) -> [(label: String, value: String)] {
        let done = phase == .outcome
        var rows: [(String, String)] = []
        if kind == .revert {
            rows.append((done ? "Given back" : "To give back", givenBack.rupiah))
            rows.append(("Receivables settled", owed.isNegative ? (-owed).rupiah : owed.rupiah))
        } else {
            rows.append(("Over-credit found", overCreditFound.rupiah))
            rows.append((done ? "Taken back" : "To take back", takenBack.rupiah))
            rows.append(("Owed (receivables)", owed.rupiah))
        }
        rows.append((done ? "Not moved (stale, skipped, pending, already booked)" : "Not moved", notMoved.rupiah))
        if kind == .correction {
            rows.append(("Held for review", heldForReview.rupiah))
            rows.append(("Held shortfall (balance below ledger)", heldShortfall.rupiah))
            rows.append(("Would go negative", wouldGoNegative.rupiah))
        }
        rows.append((done ? "Users affected (balance moved)" : "Users affected (balance would move)", String(usersAffected)))
        rows.append(("Users in the plan", String(usersInPlan)))
        let counted = LineOutcome.allCases.filter { counts[$0] > 0 }.map { "\($0.rawValue) \(counts[$0])" }
        rows.append(("Lines per outcome", counted.isEmpty ? "none" : counted.joined(separator: ", ")))
        return rows
    }
}

extension ExportTotals {
    /// Before the first line: the plan's own figures, nothing moved yet.
    init(kind: Plan.Kind, planTotals: PlanTotals, phase: ExportPhase) {
        self.init(
            phase: phase, overCreditFound: planTotals.overCreditFound, takenBack: .zero, givenBack: .zero, owed: .zero,
            notMoved: .zero, heldForReview: planTotals.heldExcess, heldShortfall: planTotals.heldShortfall,
            wouldGoNegative: planTotals.wouldGoNegative, usersAffected: 0, usersInPlan: 0, counts: OutcomeCounts())
    }

    /// Counts one more line (export adds them as it makes them, never holding them).
    mutating func add(_ line: ExportLine, kind: Plan.Kind) throws {
        usersInPlan += 1
        counts[line.outcome] += 1
        guard line.section == .adjustment else { return }
        switch line.outcome {
        case .planned, .applied:
            if kind == .revert {
                givenBack = try givenBack.adding(line.delta)
            } else {
                takenBack = try takenBack.subtracting(line.delta)
            }
            owed = try owed.adding(line.receivable)
            if !line.delta.isZero { usersAffected += 1 }
        default:
            let magnitude = line.plannedDelta.isNegative ? try line.plannedDelta.negated() : line.plannedDelta
            notMoved = try notMoved.adding(magnitude)
            if line.outcome == .skipped, line.reasonCode == ApplyReport.Skipped.Reason.wouldGoNegative.rawValue {
                wouldGoNegative = try wouldGoNegative.adding(line.excess)
            }
        }
    }
}
