import Postgres

/// The trigger evidence a plan records: how the database moves balances.
public struct TriggerEvidence: Sendable, Codable, Equatable {
    public let table: String
    public let name: String
    public let definition: String
    public let functionSource: String
    public let enabled: Bool
}

/// What remedy must know about the shop's tables before it reads them, checked up front so a
/// plan is never built on a filtered or misnamed view of the data.
public struct ShopCatalog: Sendable {
    public let triggers: [TriggerEvidence]
    public let balanceCheckConstraints: [String]
    /// `users.id`'s type as PostgreSQL prints it (`uuid`, `bigint`), for typed id arrays.
    public let userIdType: String
    /// The transactions table as `regclass` prints it (as the triggers' `table` is), to tell its
    /// triggers from the users table's by exact name.
    let transactionsTable: String
    /// Which mapped time columns hold wall times without a zone, and the zone the spec reads them in.
    public let zonelessTimes: ZonelessTimes

    public static func inspect(_ spec: JobSpec, on connection: PostgresConnection) throws -> ShopCatalog {
        let users = spec.schema.users
        let transactions = spec.schema.transactions
        for (table, columns) in [
            (users.table, [users.id, users.balance, users.label] + [users.contact].compactMap { $0 }),
            (transactions.table, [transactions.id, transactions.user, transactions.type, transactions.status,
                                  transactions.amount, transactions.reference]
                + transactions.completedAt.columns + transactions.createdAt.columns
                + [transactions.callback, spec.schema.amountReceived.column].compactMap { $0 }
                + spec.schema.paidAtSources.values.compactMap(\.column)),
        ] {
            try checkReadable(table, on: connection)
            for column in columns {
                guard try connection.query(CatalogSQL.columnType, [table.sql, column.unqualifiedName]).first != nil else {
                    throw RemedyError(.badSpec, "column \(column) does not exist on \(table); fix schema in the job spec (\(spec.directory)/job.yaml)")
                }
            }
        }
        guard let idType = try connection.query(CatalogSQL.columnType, [users.table.sql, users.id.unqualifiedName]).first?.decode(0, as: String.self) else {
            throw RemedyError(.badSpec, "column \(users.id) does not exist on \(users.table)")
        }
        let triggers = try connection.query(CatalogSQL.triggers, [transactions.table.sql, users.table.sql]).map { row in
            TriggerEvidence(table: try row.decode(0, as: String.self), name: try row.decode(1, as: String.self),
                            definition: try row.decode(2, as: String.self), functionSource: try row.decode(3, as: String.self),
                            enabled: try row.decode(4, as: Bool.self))
        }
        let checks = try connection.query(CatalogSQL.balanceChecks, [users.table.sql, users.balance.unqualifiedName]).map { row in
            "\(try row.decode(0, as: String.self)): \(try row.decode(1, as: String.self))"
        }
        let transactionsTable = try connection.query(CatalogSQL.regclassText, [transactions.table.sql])[0].decode(0, as: String.self)
        return ShopCatalog(triggers: triggers, balanceCheckConstraints: checks, userIdType: idType, transactionsTable: transactionsTable,
                           zonelessTimes: try zonelessTimes(spec, on: connection))
    }

    /// The mapped time columns of the transactions table whose type is `timestamp without time
    /// zone`, and the spec's zone for them, refused when PostgreSQL does not know it (else the
    /// first statement reading a column would fail on it, after check had passed).
    public static func zonelessTimes(_ spec: JobSpec, on connection: PostgresConnection) throws -> ZonelessTimes {
        let transactions = spec.schema.transactions
        var zoneless: Set<SQLIdentifier> = []
        for column in spec.schema.transactionTimeColumns {
            let type = try connection.query(CatalogSQL.columnType, [transactions.table.sql, column.unqualifiedName]).first?.decode(0, as: String.self)
            if type == "timestamp without time zone" { zoneless.insert(column) }
        }
        if let zone = transactions.localTimeZone, try !isKnownTimeZone(zone, on: connection) {
            throw RemedyError(.badSpec, "schema.transactions.local_time_zone \"\(zone)\" is not a time zone this PostgreSQL knows (pg_timezone_names); use a name such as Asia/Jakarta in \(spec.directory)/job.yaml")
        }
        return ZonelessTimes(columns: zoneless, zone: transactions.localTimeZone)
    }

    static func isKnownTimeZone(_ zone: String, on connection: PostgresConnection) throws -> Bool {
        try connection.query(CatalogSQL.timeZoneKnown, [zone])[0].decode(0, as: Bool.self)
    }

    /// Refuses a table the connected role sees only through row-level security.
    static func checkReadable(_ table: SQLIdentifier, on connection: PostgresConnection) throws {
        guard let access = try TableAccess.read(table, on: connection) else {
            throw RemedyError(.badSpec, "table \(table) does not exist (or this role cannot see it); fix schema in the job spec or connect as the shop's owner")
        }
        if access.isFiltered {
            throw RemedyError(.rowSecurity, "row-level security is enabled on \(table) and this role neither owns it nor has BYPASSRLS: it would see a filtered table that looks in sync; connect as a role with BYPASSRLS (e.g. the service role) or the table's owner")
        }
    }

    /// Whether the balance trigger adds `amount` again when a completed row is updated, as the
    /// seeds' simplified body does; a guarded one compares OLD.status, or has a WHEN clause on it.
    public func balanceTriggerRefires(_ spec: JobSpec) -> (refires: Bool, reason: String) {
        let rules = spec.signatures
        switch rules.triggerRefireMode {
        case .yes: return (true, "the job spec says the balance trigger re-fires (signatures.trigger_refire.mode: yes)")
        case .no: return (false, "the job spec says the balance trigger does not re-fire (signatures.trigger_refire.mode: no)")
        case .auto: break
        }
        let name = rules.balanceTriggerName
        guard let trigger = triggers.first(where: { $0.name == name && $0.table == transactionsTable }) else {
            return (false, "trigger \(name) was not found on \(spec.schema.transactions.table): no re-fire assumed; re-delivered callbacks are attributed to the handler only")
        }
        let definition = trigger.definition.lowercased()
        let source = trigger.functionSource.lowercased()
        let status = spec.schema.transactions.status.unqualifiedName.lowercased()
        if !definition.contains("update") {
            return (false, "trigger \(name) fires on INSERT only, so an update cannot re-fire it")
        }
        if definition.contains(" when ") && definition.contains("old.") {
            return (false, "trigger \(name) has a WHEN clause on OLD: it fires on the transition only")
        }
        if source.contains("old.\(status)") || source.contains("old.\"\(status)\"") {
            return (false, "function of trigger \(name) compares OLD.\(status): it fires on the transition into completed only")
        }
        return (true, "function of trigger \(name) never reads OLD.\(status): every update of a completed row adds amount again")
    }
}

extension TriggerEvidence: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let definition = m.string("definition"), let enabled = m.bool("enabled"), let functionSource = m.string("function_source"),
              let name = m.string("name"), let table = m.string("table") else { return nil }
        self.init(table: table, name: name, definition: definition, functionSource: functionSource, enabled: enabled)
    }
}
