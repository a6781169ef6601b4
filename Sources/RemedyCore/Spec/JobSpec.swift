import Rupiah

/// A job as ops wrote it in `jobs/NAME/job.yaml`: everything a job needs to know about the
/// database it runs on (names, status words, the ledger's signs) and the policies it plans under.
/// Loaded and validated by `JobSpec+Loading.swift`; immutable afterwards.
public struct JobSpec: Sendable {
    public let name: String
    public let version: Int
    public let description: String
    public let strategy: Strategy
    /// Whose books detect reads: every user, or only users with a candidate top-up in the window.
    public let examine: Examine
    public let parameters: [ParameterDeclaration]
    public let schema: ShopSchemaMap
    public let ledger: LedgerRule
    public let signatures: SignatureRules
    public let negativeBalance: NegativeBalancePolicy
    public let approval: ApprovalRule
    public let apply: ApplySettings
    /// How long one statement of a read-only snapshot may run (check, plan, verify, evidence).
    public let snapshot: SnapshotSettings
    public let limits: Limits
    /// The environment variable holding the webhook URL for notifications (never the URL itself:
    /// it is a secret).
    public let notifyWebhookEnvironment: String
    /// Where `remedy evidence` asks the payment gateway (nil: the job has no `gateway:` section).
    public let gateway: GatewaySettings?
    /// SQL files by role (`detect`), their text as read.
    public let sql: [String: String]
    /// SHA-256 (hex) over every file of the job directory: a plan is bound to the spec it was made with.
    public let digest: String
    public let directory: String

    public enum Strategy: String, Sendable, CaseIterable {
        case doubleCredit = "double-credit"
        case balanceDrift = "balance-drift"
    }

    public enum Examine: String, Sendable, CaseIterable {
        /// Every user's ledger: drift anywhere shows (the balance-drift job; slower, a pass that
        /// aggregates every user).
        case allUsers = "all_users"
        /// Only users with a top-up paid in the window: nobody else can carry this bug's excess.
        case candidates
    }
}

public struct ParameterDeclaration: Sendable {
    public enum Kind: Sendable, Equatable {
        case timestamptz
        case choice([String])
    }
    public let name: String
    public let kind: Kind
    public let required: Bool
    public let defaultValue: String?
    public let description: String
}

/// Where the shop keeps what a job reads. Every name is validated; SQL only ever sees them quoted.
public struct ShopSchemaMap: Sendable {
    public struct Users: Sendable {
        public let table: SQLIdentifier
        public let id: SQLIdentifier
        public let balance: SQLIdentifier
        public let label: SQLIdentifier
        public let contact: SQLIdentifier?
    }
    public struct Transactions: Sendable {
        public let table: SQLIdentifier
        public let id: SQLIdentifier
        public let user: SQLIdentifier
        public let type: SQLIdentifier
        public let status: SQLIdentifier
        public let amount: SQLIdentifier
        public let reference: SQLIdentifier
        public let completedAt: TimeColumn
        public let createdAt: TimeColumn
        public let callback: SQLIdentifier?
        /// Where the shop kept each callback's `X-Callback-Signature` and the body it signs: remedy
        /// verifies them before a correction rests on the top-up. Optional.
        public let callbackSignature: CallbackSignature?
        /// The zone whose wall time the shop writes into mapped time columns of type `timestamp
        /// without time zone` (`Asia/Jakarta` for an app set to WIB), read from them with `AT TIME
        /// ZONE`. Absent: such columns are read as UTC, and check says so. Columns that carry
        /// their zone (`timestamptz`) are never affected.
        public let localTimeZone: String?
    }
    /// Tripay signs the raw request body: HMAC-SHA256 keyed with the merchant's private key, in
    /// lowercase hex. Only the bytes as received can be verified (text, bytea or json; jsonb
    /// reorders keys and drops whitespace, so `remedy check` says it cannot be verified).
    public struct CallbackSignature: Sendable {
        /// The stored header value.
        public let signature: SQLIdentifier
        /// The stored body: `raw_body`, or the `callback` column when no raw_body is mapped.
        public let rawBody: SQLIdentifier
        /// The environment variable holding the merchant's private key (never the key: it is a secret).
        public let privateKeyEnvironment: String
    }
    /// A time column, or an ordered fallback list of them (`[completed_at, created_at]`): the
    /// first that is not NULL on a row. Some shops never fill a column the job relies on.
    public struct TimeColumn: Sendable, Equatable, CustomStringConvertible {
        /// At least one; the first is preferred.
        public let columns: [SQLIdentifier]

        public init(_ columns: [SQLIdentifier]) {
            precondition(!columns.isEmpty, "a time column maps at least one column")
            self.columns = columns
        }

        /// The single mapped column, or nil when a fallback list is mapped.
        public var single: SQLIdentifier? { columns.count == 1 ? columns[0] : nil }

        /// As written in the spec: `completed_at`, or `[completed_at, created_at]`.
        public var description: String {
            columns.count == 1 ? columns[0].description : "[" + columns.map(\.description).joined(separator: ", ") + "]"
        }
    }
    /// A value read from a column, or from a field of the raw callback (falling back to the column).
    public struct Source: Sendable, Equatable {
        public let column: SQLIdentifier?
        public let callbackField: String?
        public let unixSeconds: Bool
    }
    public let users: Users
    public let transactions: Transactions
    public let amountReceived: Source
    public let paidAtSources: [String: Source]

    /// Every mapped column of the transactions table whose values are instants: completed_at and
    /// created_at (each a column or a fallback list) and the paid_at sources' columns.
    public var transactionTimeColumns: Set<SQLIdentifier> {
        Set(transactions.completedAt.columns + transactions.createdAt.columns + paidAtSources.values.compactMap(\.column))
    }
}

/// The shop's own books: `ledger = Σ amount × sign` over completed transactions.
public struct LedgerRule: Sendable {
    public let completedStatus: String
    /// Transaction type → +1 or −1; types not listed count 0.
    public let signs: [String: Int]
    public let topupType: String
    public let purchaseType: String

    public var positiveTypes: [String] { signs.filter { $0.value > 0 }.keys.sorted() }
    public var negativeTypes: [String] { signs.filter { $0.value < 0 }.keys.sorted() }
}

public struct SignatureRules: Sendable {
    public enum RefireMode: String, Sendable { case auto, yes, no }
    /// A log of the callbacks the shop received, one row per delivery: how often the buggy handler
    /// ran for a top-up is the count of its rows (with a handled status). Optional evidence: with it
    /// a top-up credited twice while another was not is confirmed instead of held.
    public struct CallbackLog: Sendable {
        public let table: SQLIdentifier
        /// The column holding the top-up's Tripay reference.
        public let reference: SQLIdentifier
        /// The callback's status column and the statuses that ran the handler's credit (e.g. PAID).
        public let status: SQLIdentifier?
        public let handledStatuses: [String]
    }
    /// k × amount_received per bug-window top-up, k from 1 to this bound.
    public let handlerCreditMaxRepeats: Int
    public let callbackLog: CallbackLog?
    public let triggerRefireMode: RefireMode
    public let balanceTriggerName: String
    public let lostUpdateEnabled: Bool
    public let lostUpdateToleranceSeconds: Int
    public let lostUpdateMaxPurchases: Int
    /// Purchase statuses whose amount may have been deducted without the ledger showing it
    /// (completed: deducted twice; any other: deducted once). Empty: the signature is off.
    public let purchaseDeductionStatuses: [String]
}

public enum NegativeBalancePolicy: String, Sendable, Codable, CaseIterable {
    /// Lines that would take a balance below zero are listed apart and left untouched.
    case hold
    /// The balance may go negative (refused at plan time where a CHECK constraint forbids it).
    case allow
    /// Take back down to zero; the rest stays open as a receivable.
    case clamp
}

public struct ApprovalRule: Sendable {
    /// One distinct person per listed role (a role may be listed twice to ask for two people).
    public let quorumRoles: [String]
    public let planValidHours: Int
}

public struct ApplySettings: Sendable {
    public let batchSize: Int
    public let lockTimeoutMilliseconds: Int
    public let statementTimeoutMilliseconds: Int
    public let leaseSeconds: Int
}

/// remedy's own bound on each statement of its read-only snapshots (check's probe and detect
/// take half a minute at 1,000,000 users), set for the transaction whatever the role's default:
/// a role's `statement_timeout` is set for other work (Supabase gives API roles 3 and 8 s; 3 s
/// stopped detect at 300,000 users). `apply.statement_timeout_milliseconds` bounds apply's.
public struct SnapshotSettings: Sendable {
    public let statementTimeoutMilliseconds: Int
}

public struct Limits: Sendable {
    public let maxCandidatesPerUser: Int
    public let maxSearchStates: Int
    public let maxSingleAdjustment: Money?
    public let maxUsers: Int
}
