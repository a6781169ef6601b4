import Rupiah

/// Whether an export shows a proposal (no apply has run) or what apply did.
public enum ExportPhase: String, Codable, Sendable {
    /// No run yet: the lines are what apply would do.
    case proposal
    /// At least one apply run: the lines are what was done.
    case outcome
}

/// What became of one user line. Raw values are what CSV, JSON and HTML print.
public enum LineOutcome: String, Codable, Sendable, CaseIterable {
    /// Before any apply: the correction apply would book.
    case planned
    /// Booked and the balance moved, by a run of this plan.
    case applied
    /// Already booked before: by another plan made from the same state (the idempotency key is
    /// the same), so this plan moved nothing for this user.
    case alreadyBooked = "already_booked"
    /// The excess under the row lock differed from the plan: skipped, make a new plan.
    case stale
    /// Skipped at apply for another reason (would go negative, user missing, rows contended).
    case skipped
    /// Runs exist, but none booked or skipped this line (an interrupted run): run apply again.
    case pending
    /// Held for a person at plan time: never touched.
    case held
    /// Already corrected before the plan: nothing to do.
    case settled
}

/// One user line of the plan (adjustment, hold or settled) and what became of it.
public struct ExportLine: Codable, Sendable, Equatable {
    public enum Section: String, Codable, Sendable {
        case adjustment, hold, settled
    }

    public var userId: String
    public var label: String
    public var contact: String?
    public var section: Section
    public var outcome: LineOutcome
    /// Stable word for machines: `double-credit`, `revert`, a hold reason, a skip reason, `already-corrected`.
    public var reasonCode: String
    /// The same for people, one sentence.
    public var reason: String
    /// The books at plan time (nil for settled lines, which the plan records without them).
    public var balance: Money?
    public var ledger: Money?
    public var openReceivables: Money?
    public var excess: Money
    /// The movement the plan proposed (zero for holds and settled lines).
    public var plannedDelta: Money
    /// The movement this line stands for in this export: proposed (proposal) or made (outcome);
    /// zero whenever nothing moved. Σ delta over all lines is the net movement of the totals.
    public var delta: Money
    /// The receivable this line opens (proposal) or opened (outcome); negative for a revert that settles one.
    public var receivable: Money
    /// The balance under the row lock at apply (applied, stale, skipped lines).
    public var balanceBefore: Money?
    /// After apply (applied), or as proposed (planned).
    public var balanceAfter: Money?
    /// The excess found at apply, for stale and skipped lines.
    public var currentExcess: Money?
    /// The top-ups that explain the excess (for a hold: the exact explanation a policy held back).
    public var evidence: [TopUpAttribution]
    /// `T4715…×1, T4716…×2 + lost purchase Rp 50.000`: references × handler runs.
    public var evidenceText: String
    /// How many decompositions give the same excess (more than one: ambiguous attribution).
    public var decompositions: Int
    public var runId: String?
    /// For `already_booked`: the plan whose run booked it, when the database says.
    public var bookedByPlan: String?
    public var idempotencyKey: String?
}

/// The plan's identity and sign-off context, as the report header shows it.
public struct ExportPlanInfo: Codable, Sendable, Equatable {
    public var digest: String
    public var job: String
    public var kind: Plan.Kind
    public var jobVersion: Int
    public var specDigest: String
    public var parameters: [String: String]
    public var database: DatabaseIdentity
    public var snapshotAt: String
    public var expiresAt: String
    public var plannerName: String
    public var plannerRole: String
    public var quorum: [String]
    public var negativeBalancePolicy: NegativeBalancePolicy
    public var reverts: String?
    public var triggerRefires: Bool
    public var triggerRefiresReason: String
    /// What `remedy check` warned of when the plan was made, for the approvers to confirm.
    public var warnings: [String]
}

public struct ExportApproval: Codable, Sendable, Equatable {
    public var name: String
    public var role: String
    public var signedAt: String
    public var publicKey: String
    /// The Ed25519 signature verifies over this plan's digest, database and expiry.
    public var signatureValid: Bool
    public var inBundle: Bool
    /// Recorded in remedy.approvals (nil: no database consulted).
    public var inDatabase: Bool?
    /// The key is in the database's current trusted approver set (nil: no database consulted).
    public var trusted: Bool?
}

public struct ExportRun: Codable, Sendable, Equatable {
    public var runId: String
    public var operatorName: String?
    public var startedAt: String?
    public var finishedAt: String?
    /// From the run's report in the bundle's runs/ (nil: no report).
    public var applied: Int?
    public var alreadyApplied: Int?
    public var skipped: Int?
    public var auditHead: String?
    /// The run's final head signed by its operator, from its report.
    public var signedAuditHead: SignedAuditHead?
    public var reportInBundle: Bool
    /// remedy.runs: `complete`, `incomplete`, `interrupted` (stopped by a person between batches,
    /// or found dead by the next run), or nil while running or when it died (nil too without a database).
    public var databaseOutcome: String?
    public var inDatabase: Bool?
}

/// The audit chain's head: with a database, its current head; without, the last run report's.
public struct ExportChainHead: Codable, Sendable, Equatable {
    public var hash: String
    public var seq: Int64?
    public var source: String
}

public struct ExportDiscrepancy: Codable, Sendable, Equatable {
    public var userId: String?
    public var message: String
}

/// What the database said, where one was consulted.
public struct ExportCrossCheck: Codable, Sendable, Equatable {
    public var performed: Bool
    /// One sentence: where the figures come from.
    public var statement: String
    /// Σ (balance_before − balance_after) over this plan's booked corrections (Σ after − before for a revert).
    public var databaseMoved: Money?
    /// Σ remedy.receivables opened by this plan.
    public var databaseReceivables: Money?
    /// Σ of the discovered entries this plan booked: the over-credit it recorded.
    public var databaseDiscovered: Money?
    /// Users with an entry booked by this plan.
    public var databaseUsers: Int?
    /// Bundle and database agree on every line and on the sums.
    public var agrees: Bool?
    public var discrepancies: [ExportDiscrepancy]
}

/// Over-credit explained by the plan's adjustments, per day its top-ups were paid (WIB, UTC+7).
public struct ExportDayAmount: Codable, Sendable, Equatable {
    public var day: String
    public var amount: Money
    public var topUps: Int
}

/// Users whose excess lies in [from, to).
public struct ExportHistogramBin: Codable, Sendable, Equatable {
    public var from: Money
    public var to: Money
    public var users: Int
}

/// Everything an export says, rendered as CSV, JSON or HTML. A streamed export holds it without
/// its lines (`lines` empty) and hands the lines on one at a time (`ExportBuilder.export`).
public struct ExportDocument: Codable, Sendable {
    public static let currentFormat = "remedy-export/v1"

    public var format: String
    public var generatedAt: String
    public var phase: ExportPhase
    public var bundlePath: String
    public var plan: ExportPlanInfo
    public var approvals: [ExportApproval]
    public var runs: [ExportRun]
    public var auditChainHead: ExportChainHead?
    /// The last run's final head, signed by its operator (from its report in runs/): what
    /// `remedy audit verify --head EXPORT.json` checks.
    public var signedAuditHead: SignedAuditHead?
    /// The plan's own totals, as planned (plan.json).
    public var planTotals: PlanTotals
    /// The totals every format prints: added up once from the lines as they are made (`ExportTotals.add`).
    public var totals: ExportTotals
    public var crossCheck: ExportCrossCheck
    public var excessByDay: [ExportDayAmount]
    public var excessDistribution: [ExportHistogramBin]
    /// Customer labels and contacts removed, user ids replaced by pseudonyms (`--redact`).
    public var redacted: Bool
    public var lines: [ExportLine]
    /// The gateway's verdict per top-up reference a line names, when the plan was checked
    /// (`remedy evidence`): what marks each line gateway-confirmed, disagrees or not checked.
    public var gatewayVerdicts: [String: GatewayReferenceCheck.Verdict]? = nil
}
