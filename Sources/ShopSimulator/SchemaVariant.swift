import Foundation
import Postgres

/// How a real deployment's schema differs from the simulator's default one (issue 11): applied
/// to the loaded shop, so the history, its truth and every balance are the same as the default's.
/// A job is adapted to each by its job.yaml alone; `remedy check` says what to change.
public struct SchemaVariant: Sendable, Equatable, CustomStringConvertible {
    /// The schema holding users and transactions (and the trigger functions), e.g. a mixed-case
    /// `Shop`; `public` leaves them where they are.
    public var schemaName = "public"
    /// Only the top-up callback writes `completed_at`: purchases and every other row have it NULL.
    public var purchasesWithoutCompletedAt = false
    /// users.id a bigint identity instead of a uuid (SchemaVariantSQL.bigintUserIds).
    public var bigintUserIds = false
    /// transactions' type and status as enum types (SchemaVariantSQL.enumTypeAndStatus).
    public var enumTypeAndStatus = false
    /// transactions' times as `timestamp(3)` without a time zone, holding the wall time of this
    /// zone (`UTC`, `Asia/Jakarta`; SchemaVariantSQL.naiveTimestamps); nil keeps timestamptz.
    public var naiveTimestampsZone: String?
    /// transactions partitioned by month of created_at (SchemaVariantSQL.partitionTransactions).
    public var partitionedTransactions = false
    /// `balance DECIMAL(10,2)`: at most Rp 99.999.999,99.
    public var narrowBalance = false
    /// `users.id` is a foreign key to `auth.users` (Supabase's auth schema).
    public var authUsers = false
    /// A BEFORE UPDATE trigger on users that records each balance change in `balance_history`.
    public var balanceHistoryTrigger = false
    /// Row-level security forced on both tables (their owner is subject too), and a login role
    /// of this name with BYPASSRLS and the grants remedy needs (roles are cluster-wide: the
    /// caller picks a name of its own).
    public var rowSecurityReader: String?

    public init(schemaName: String = "public", purchasesWithoutCompletedAt: Bool = false, bigintUserIds: Bool = false,
                enumTypeAndStatus: Bool = false, naiveTimestampsZone: String? = nil, partitionedTransactions: Bool = false, narrowBalance: Bool = false, authUsers: Bool = false, balanceHistoryTrigger: Bool = false,
                rowSecurityReader: String? = nil) {
        self.schemaName = schemaName
        self.bigintUserIds = bigintUserIds
        self.enumTypeAndStatus = enumTypeAndStatus
        self.naiveTimestampsZone = naiveTimestampsZone
        self.partitionedTransactions = partitionedTransactions
        self.purchasesWithoutCompletedAt = purchasesWithoutCompletedAt
        self.narrowBalance = narrowBalance
        self.authUsers = authUsers
        self.balanceHistoryTrigger = balanceHistoryTrigger
        self.rowSecurityReader = rowSecurityReader
    }

    public var isDefault: Bool { self == SchemaVariant() }

    public var description: String {
        var parts: [String] = []
        if schemaName != "public" { parts.append("schema \(schemaName)") }
        if purchasesWithoutCompletedAt { parts.append("purchases without completed_at") }
        if bigintUserIds { parts.append("bigint user ids") }
        if enumTypeAndStatus { parts.append("enum types and statuses") }
        if let zone = naiveTimestampsZone { parts.append("times without a time zone, holding \(zone) wall time") }
        if partitionedTransactions { parts.append("transactions partitioned by month") }
        if narrowBalance { parts.append("DECIMAL(10,2) balances") }
        if authUsers { parts.append("user ids referencing auth.users") }
        if balanceHistoryTrigger { parts.append("a balance-history trigger on users") }
        if let role = rowSecurityReader { parts.append("forced row-level security, read by \(role)") }
        return parts.isEmpty ? "default schema" : parts.joined(separator: ", ")
    }

    /// Plain names only: they are spliced into DDL (quoted).
    func validate() throws {
        let name = #"^[A-Za-z_][A-Za-z0-9_]{0,62}\z"#
        guard schemaName.range(of: name, options: .regularExpression) != nil, schemaName.lowercased() != "simulator",
              schemaName.lowercased() != "remedy", schemaName.lowercased() != "auth" else {
            throw ShopSimulatorError.invalidOptions("schema name \"\(schemaName)\" must be a plain name other than simulator, remedy and auth")
        }
        if bigintUserIds, authUsers || balanceHistoryTrigger {
            throw ShopSimulatorError.invalidOptions("bigint user ids go with neither auth users nor the balance-history trigger (both keep uuid user ids)")
        }
        if let role = rowSecurityReader, role.range(of: #"^[a-z_][a-z0-9_]{0,62}\z"#, options: .regularExpression) == nil {
            throw ShopSimulatorError.invalidOptions("role name \"\(role)\" must be lowercase letters, digits and _")
        }
    }

    /// Reshapes the loaded shop; balances and the ledger stay exactly as the history left them.
    func apply(on connection: PostgresConnection, triggerVariant: TriggerVariant) throws {
        guard !isDefault else { return }
        try validate()
        try connection.transaction {
            let schema = SchemaVariantSQL.quoted(schemaName)
            if schemaName != "public" {
                try connection.executeScript(SchemaVariantSQL.moveTables(to: schema))
                try connection.executeScript(SchemaVariantSQL.balanceFunction(triggerVariant, schema: schema))
            }
            if purchasesWithoutCompletedAt { try connection.executeScript(SchemaVariantSQL.dropPurchaseCompletedAt(schema)) }
            if bigintUserIds { try connection.executeScript(SchemaVariantSQL.bigintUserIds(schema)) }
            if enumTypeAndStatus { try connection.executeScript(SchemaVariantSQL.enumTypeAndStatus(schema)) }
            if let zone = naiveTimestampsZone { try connection.executeScript(SchemaVariantSQL.naiveTimestamps(schema, zone: zone)) }
            if partitionedTransactions { try connection.executeScript(SchemaVariantSQL.partitionTransactions(schema)) }
            if narrowBalance { try connection.executeScript(SchemaVariantSQL.narrowBalance(schema)) }
            if authUsers { try connection.executeScript(SchemaVariantSQL.authUsers(schema)) }
            if balanceHistoryTrigger { try connection.executeScript(SchemaVariantSQL.balanceHistory(schema)) }
            if let role = rowSecurityReader {
                try connection.executeScript(SchemaVariantSQL.rowSecurityReader(schema, role: role, balanceHistory: balanceHistoryTrigger))
            }
        }
    }
}
