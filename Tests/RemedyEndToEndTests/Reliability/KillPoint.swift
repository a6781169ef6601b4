import RemedyCore

/// One death of `remedy apply`, chosen by the seed: SIGKILL at one of apply's checkpoints
/// (between statements, after a commit, between batches), or with the batch's COMMIT sent and
/// its answer never read (`COMMIT in flight`: the runner dies not knowing the outcome).
struct KillPoint: CustomStringConvertible {
    enum Kind: String, CaseIterable {
        case runStarted = "run started"
        case rowsLocked = "rows locked"
        case entriesBooked = "entries booked"
        case balancesMoved = "balances moved"
        case beforeCommit = "before commit"
        case afterCommit = "after commit"
        case betweenBatches = "between batches"
        case commitInFlight = "COMMIT in flight"

        /// The checkpoint name this kind dies at.
        var checkpoint: String { self == .commitInFlight ? Kind.beforeCommit.rawValue : rawValue }
    }

    let kind: Kind
    /// `REMEDY_FAULT_KILL_AT`: the checkpoint's number in this run.
    let number: Int
    let point: ApplyCheckpoints.Point
    /// Of all the checkpoints this run passes.
    let of: Int

    var environment: [String: String] {
        var environment = [FaultInjection.environmentVariable: String(number)]
        if kind == .commitInFlight { environment[FaultInjection.commitInFlightVariable] = "1" }
        return environment
    }

    var description: String {
        let batch = point.batch.map { " of batch \($0 + 1) (\(point.hasWork ? "with work" : "already booked"))" } ?? ""
        return "REMEDY_FAULT_KILL_AT=\(number)/\(of) \(kind.rawValue)\(batch)"
    }

    /// A kind first (uniformly among those this run can die at), then one of its checkpoints:
    /// every kind is exercised about equally, whatever the plan's size.
    static func choose(batches: [[AdjustmentLine]], booked: Set<String>, random: inout SplitMix64) -> KillPoint {
        let checkpoints = ApplyCheckpoints.expected(batches: batches, booked: booked)
        var candidates: [Kind: [Int]] = [:]
        for (index, point) in checkpoints.enumerated() {
            for kind in Kind.allCases where kind.checkpoint == point.name && (kind != .commitInFlight || point.hasWork) {
                candidates[kind, default: []].append(index + 1)
            }
        }
        let kinds = Kind.allCases.filter { candidates[$0] != nil }
        let kind = random.element(of: kinds)
        let number = random.element(of: candidates[kind]!)
        return KillPoint(kind: kind, number: number, point: checkpoints[number - 1], of: checkpoints.count)
    }
}
