import Rupiah

/// What an apply run did: its totals and counts, and the report file in the bundle's `runs/` that
/// holds its lines (written as batches commit, read back a line at a time).
public struct ApplyReport: Sendable {
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
    public var auditHead: String = AuditLog.genesisHash
    /// `auditHead` at the run's end, signed by the operator (nil in reports from before signing,
    /// or of a run that did not finish).
    public var signedAuditHead: SignedAuditHead?
    public var takenBack: Money = .zero
    public var receivablesOpened: Money = .zero
    /// How many lines of each kind the run reported. The lines themselves are never all held:
    /// apply spools them to the report file (runs/RUN.json) as batches commit, and `forEachLine`
    /// reads them back one at a time.
    public internal(set) var counts = Counts()
    /// The report file holding the lines (nil until it is written, or if it could not be).
    public internal(set) var path: String?

    /// The plan's lines after the last batch of a run stopped early (StopRequest): no batch read
    /// them, and the same apply run again takes them. Not in the report file, whose lines show
    /// what was reached; the database records the run as interrupted.
    public internal(set) var linesNotReached = 0

    /// Exit 0 only if every line of the plan is booked (now or before).
    public var isComplete: Bool { counts.skipped == 0 && linesNotReached == 0 }

    public struct Counts: Sendable, Equatable {
        public internal(set) var applied = 0
        public internal(set) var alreadyApplied = 0
        public internal(set) var skippedByReason: [Skipped.Reason: Int] = [:]

        public var skipped: Int { skippedByReason.values.reduce(0, +) }
        /// Skipped for a reason a re-run cannot mend (all but `contended`): a person must look.
        public var refused: Int { skipped - skippedByReason[.contended, default: 0] }

        mutating func count(_ line: Line) {
            switch line {
            case .applied: applied += 1
            case .alreadyApplied: alreadyApplied += 1
            case .skipped(let skipped): skippedByReason[skipped.reason, default: 0] += 1
            }
        }
    }

    /// One line of a run report.
    public enum Line: Sendable, Equatable {
        /// Booked before, by an earlier run (or another plan from the same state), and the user's
        /// books still as that booking left them: never booked twice.
        case alreadyApplied(String)
        case applied(Applied)
        case skipped(Skipped)
    }

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

    /// A batch's outcome, in the plan's order: its totals and counts here, its lines to `spool`.
    /// The audit head is the last batch's in that order; the run's last audit row
    /// (apply.finished) reads the chain's real head.
    mutating func record(_ outcome: BatchOutcome, into spool: RunReportSpool) throws {
        for userId in outcome.alreadyApplied { try add(.alreadyApplied(userId), to: spool) }
        for line in outcome.applied { try add(.applied(line), to: spool) }
        for line in outcome.skipped { try add(.skipped(line), to: spool) }
        if let head = outcome.auditHead { auditHead = head }
        takenBack = try takenBack.adding(outcome.takenBack)
        receivablesOpened = try receivablesOpened.adding(outcome.receivablesOpened)
    }

    /// One line, counted and spooled.
    mutating func add(_ line: Line, to spool: RunReportSpool) throws {
        try spool.append(line)
        counts.count(line)
    }
}
