import Rupiah

/// A plan: the dry run's result, written once as canonical `plan.json` and never edited. Its
/// SHA-256 (the digest) is what approvers sign and what apply checks.
public struct Plan: Codable, Sendable {
    /// v2 moved the gateway's checks out of the header into their own line array (`gateway_checks`).
    public static let currentFormat = "remedy-plan/v2"
    /// Read, never written: its gateway checks are in the header (`GatewayCheck.references`).
    public static let formatV1 = "remedy-plan/v1"

    public enum Kind: String, Codable, Sendable {
        /// Take back what the detect step attributed.
        case correction
        /// Put back what an applied plan took (`remedy revert`).
        case revert
    }

    public var format: String
    public var kind: Kind
    public var job: String
    public var jobVersion: Int
    public var specDigest: String
    public var parameters: [String: String]
    public var database: DatabaseIdentity
    public var snapshotAt: String
    public var expiresAt: String
    public var planner: Approver
    public var quorum: [String]
    public var negativeBalancePolicy: NegativeBalancePolicy
    public var evidence: PlanEvidence
    /// For a revert: the digest of the plan it compensates.
    public var reverts: String?
    /// For the automatic part of a `remedy run`: the digest of the standing policy that authorises
    /// it in place of per-plan approvals.
    public var standingPolicy: String?
    /// Sorted by user id: one line per user whose balance would move.
    public var adjustments: [AdjustmentLine]
    /// Users left untouched for a person to look at, with the reason.
    public var holds: [HeldLine]
    /// Users who had bug-window top-ups and no excess left: already corrected.
    public var settled: [SettledLine]
    public var totals: PlanTotals
    /// What `remedy check` would warn about on this database, found in the plan's snapshot: for
    /// the approvers to confirm (a mapped column NULL where it is needed, a transaction type the
    /// ledger map leaves out…).
    public var warnings: [String] = []
    /// Where detect's snapshot was read when not on the primary (`remedy plan --read-url`): the
    /// replica and its replay position. Absent (not null) from plans made on the primary.
    public var readReplica: ReadReplicaPosition? = nil
    /// What the payment gateway said of the plan's top-ups (`remedy evidence`); nil when unchecked.
    public var gateway: GatewayCheck?
    /// Format v2: the gateway's check of each top-up (`remedy evidence`), plan.json's fourth line
    /// array, streamed like the lines (empty when unchecked, and in a plan read without its lines).
    /// nil only in a v1 plan, which has no such array.
    public var gatewayChecks: [GatewayReferenceCheck]? = []

    /// Every gateway check of a plan held whole, wherever its format keeps them.
    public var allGatewayChecks: [GatewayReferenceCheck] {
        gateway?.references ?? gatewayChecks ?? []
    }
}

/// The shop's trigger definitions as read in the snapshot, and what remedy concluded from them.
public struct PlanEvidence: Codable, Sendable {
    public var triggers: [TriggerEvidence]
    public var triggerRefires: Bool
    public var triggerRefiresReason: String
    public var balanceCheckConstraints: [String]
}

/// What a correction assumes: apply recomputes the excess under the row lock and skips the line
/// as stale if it differs.
public struct Precondition: Codable, Sendable, Equatable {
    public var excess: Money
}

public struct AdjustmentLine: Codable, Sendable, Equatable {
    public var userId: String
    public var label: String
    public var contact: String?
    public var balance: Money
    public var ledger: Money
    public var openReceivables: Money
    public var excess: Money
    /// The balance moves by this (negative for a correction, positive for a revert).
    public var delta: Money
    /// What stays owed after a clamp (zero otherwise); for a revert, minus the receivable it settles.
    public var receivable: Money
    public var balanceAfter: Money
    public var attribution: Decomposition
    public var decompositions: Int
    public var ambiguous: Bool
    public var precondition: Precondition
    /// Deterministic: the same excess from the same top-ups of the same user always has this key,
    /// so no plan and no re-run can book it twice.
    public var idempotencyKey: String
    /// For a revert line: the idempotency key of the correction it puts back.
    public var revertsKey: String?
}

public struct HeldLine: Codable, Sendable, Equatable {
    public enum Reason: String, Codable, Sendable {
        case shortfall          // balance below the ledger: not an over-credit
        case noCandidates       // excess but no bug-window top-up
        case unexplained        // no combination within the bounds
        case undecided          // the search exceeded its budget
        case tooManyCandidates
        case wouldGoNegative
        case negativeForbidden  // policy allow, but a CHECK constraint forbids it
        case overLimit          // above limits.max_single_adjustment
        case unreadable         // a value could not be read exactly
        case ledgerCorrection   // hand-made corrections sit in the ledger: a person decides
        case conflicting        // only more than one classification together explains it
        case ambiguous          // the bug explains it, and so does another cause (or a story a log must confirm)
        case callbackUnverified // explained, but a top-up's stored callback fails its signature (forged, altered, unsigned)
        case gatewayDisagrees   // the gateway's record of a top-up differs from the shop's, or it does not know it
    }
    public var userId: String
    public var label: String
    public var balance: Money
    public var ledger: Money
    public var openReceivables: Money
    public var excess: Money
    public var reason: Reason
    public var explanation: String
    public var closest: Decomposition?
    /// Set when a person acknowledged this hold with these very numbers (`remedy acknowledge`).
    public var acknowledged: Acknowledgement?
}

/// "Known, leave it": who said so, when, and why. Lapses when the user's numbers change.
public struct Acknowledgement: Codable, Sendable, Equatable {
    public var by: String
    public var at: String
    public var reason: String
}

public struct SettledLine: Codable, Sendable, Equatable {
    public var userId: String
    public var label: String
    public var candidateTopUps: Int
    /// Why nothing is left: corrected on the balance, or by rows booked in the ledger.
    public var note: String
}

/// Totals that mean one thing everywhere (summary, exports, database).
public struct PlanTotals: Codable, Sendable, Equatable {
    /// Rows the detect snapshot returned (users with an excess or a bug-window top-up).
    public var usersExamined: Int = 0
    public var adjustmentCount: Int = 0
    public var holdCount: Int = 0
    /// Holds a person acknowledged with the current numbers: known, not new drift.
    public var acknowledgedCount: Int = 0
    public var settledCount: Int = 0
    public var ambiguousCount: Int = 0
    /// The incident's loss found: Σ excess that the bug's signatures explain, taken back or not.
    public var overCreditFound: Money = .zero
    /// Σ −delta over adjustments that lower a balance: what apply takes back.
    public var toTakeBack: Money = .zero
    /// Σ delta over adjustments that raise a balance: what apply puts back (restored purchase
    /// deductions, reverts).
    public var toGiveBack: Money = .zero
    /// Σ receivables a clamp leaves open.
    public var owed: Money = .zero
    /// Σ positive excess held for review.
    public var heldExcess: Money = .zero
    /// Σ shortfall (negative excess, as a positive amount) held for review.
    public var heldShortfall: Money = .zero
    /// Σ explained excess held because taking it back would make the balance negative.
    public var wouldGoNegative: Money = .zero

    /// Anything a person or a policy still has to act on: adjustments, or holds not acknowledged.
    public var hasDrift: Bool { adjustmentCount > 0 || holdCount > acknowledgedCount }

    public init() {}

    /// The totals of a set of lines: derived, never tracked beside them.
    public init(adjustments: [AdjustmentLine], holds: [HeldLine], settled: [SettledLine], usersExamined: Int) throws {
        self.usersExamined = usersExamined
        for line in adjustments { try add(line) }
        for line in holds { try add(line) }
        for line in settled { add(line) }
    }

    /// Counts one more adjustment in. (The totals of a plan streamed to disk are summed line by
    /// line as the lines go by; `init(adjustments:holds:settled:usersExamined:)` is the same sum.)
    mutating func add(_ line: AdjustmentLine) throws {
        adjustmentCount += 1
        if line.ambiguous { ambiguousCount += 1 }
        if line.delta.isNegative {
            toTakeBack = try toTakeBack.subtracting(line.delta)
        } else {
            toGiveBack = try toGiveBack.adding(line.delta)
        }
        owed = try owed.adding(line.receivable)
        if line.revertsKey == nil, line.excess.isPositive {
            overCreditFound = try overCreditFound.adding(line.excess)
        }
    }

    mutating func add(_ line: HeldLine) throws {
        holdCount += 1
        if line.acknowledged != nil { acknowledgedCount += 1 }
        if line.excess.isNegative {
            heldShortfall = try heldShortfall.subtracting(line.excess)
        } else {
            heldExcess = try heldExcess.adding(line.excess)
        }
        // Explained, but held by a policy or limit: still part of the incident's loss. (Not when
        // the evidence itself is in doubt: a forged callback proves no payment.)
        if line.excess.isPositive, line.closest?.total == line.excess,
           ![.conflicting, .ambiguous, .callbackUnverified].contains(line.reason) {
            overCreditFound = try overCreditFound.adding(line.excess)
        }
        if line.reason == .wouldGoNegative || line.reason == .negativeForbidden {
            wouldGoNegative = try wouldGoNegative.adding(line.excess)
        }
    }

    mutating func add(_ line: SettledLine) {
        settledCount += 1
    }
}
