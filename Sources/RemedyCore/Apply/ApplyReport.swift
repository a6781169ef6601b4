import Rupiah

/// What an apply run did, line by line; written into the bundle's `runs/` and printed.
public struct ApplyReport: Codable, Sendable {
    public struct Applied: Codable, Sendable, Equatable {
        public let userId: String
        public let label: String
        public let balanceBefore: Money
        public let balanceAfter: Money
        public let delta: Money
        public let receivable: Money
    }
    public struct Skipped: Codable, Sendable, Equatable {
        public enum Reason: String, Codable, Sendable {
            /// The excess changed since the plan (a hand correction, a new credit): re-plan.
            case stale
            /// Taking back the approved amount would now make the balance negative.
            case wouldGoNegative
            /// The user's row no longer exists.
            case missing
            /// Live traffic held the row past lock_timeout on every retry.
            case contended
            /// Booked before (by an earlier run or another plan), but the user's excess is not
            /// what that booking left: undone, or moved again since. Nothing is booked twice; a
            /// person looks (a reverted correction is taken again by a new plan).
            case residual
        }
        public let userId: String
        public let label: String
        public let reason: Reason
        public let plannedExcess: Money
        public let currentExcess: Money?
        public let currentBalance: Money?
    }

    public var runId: String
    public var planDigest: String
    public var job: String
    public var operatorName: String
    public var approvers: [String]
    /// When the run started and finished, by the database's clock (UTC). Optional: reports written
    /// before these fields existed have neither; exports then order runs by file time.
    public var startedAt: String?
    public var finishedAt: String?
    public var applied: [Applied] = []
    /// Booked by an earlier run (or another plan from the same state), and the user's books still
    /// as that booking left them: never booked twice.
    public var alreadyApplied: [String] = []
    public var skipped: [Skipped] = []
    public var auditHead: String = AuditLog.genesisHash
    /// `auditHead` at the run's end, signed by the operator (nil in reports from before signing,
    /// or of a run that did not finish).
    public var signedAuditHead: SignedAuditHead?
    public var takenBack: Money = .zero
    public var receivablesOpened: Money = .zero

    /// Exit 0 only if every line of the plan is booked (now or before).
    public var isComplete: Bool { skipped.isEmpty }

    /// What one batch did; recorded in the report only once its transaction has committed.
    struct BatchOutcome: Sendable {
        var applied: [Applied] = []
        var alreadyApplied: [String] = []
        var skipped: [Skipped] = []
        /// The audit log's head after the batch's rows (nil: it wrote none).
        var auditHead: String?
        /// This batch's totals (checked arithmetic, before it commits).
        var takenBack: Money = .zero
        var receivablesOpened: Money = .zero

        /// Another outcome of the same batch (its lines one by one), after this one.
        mutating func absorb(_ other: BatchOutcome) throws {
            applied += other.applied
            alreadyApplied += other.alreadyApplied
            skipped += other.skipped
            auditHead = other.auditHead ?? auditHead
            takenBack = try takenBack.adding(other.takenBack)
            receivablesOpened = try receivablesOpened.adding(other.receivablesOpened)
        }
    }

    /// A batch's outcome, in the plan's order. The audit head is the last batch's in that order;
    /// the run's last audit row (apply.finished) reads the chain's real head.
    mutating func record(_ outcome: BatchOutcome) throws {
        applied += outcome.applied
        alreadyApplied += outcome.alreadyApplied
        skipped += outcome.skipped
        if let head = outcome.auditHead { auditHead = head }
        takenBack = try takenBack.adding(outcome.takenBack)
        receivablesOpened = try receivablesOpened.adding(outcome.receivablesOpened)
    }
}
