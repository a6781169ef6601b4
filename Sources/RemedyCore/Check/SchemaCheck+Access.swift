import Postgres

/// Every mapped table and column: it exists, its type, and whether the connected role reads all
/// of it (grants, row-level security).
extension SchemaCheck {
    struct ColumnFacts {
        let type: String
        let baseType: String
        let numericPrecision: Int?
        let numericScale: Int?
    }

    struct Access {
        var readable = true
        var balance: ColumnFacts?
        /// Mapped time columns without a zone (read in `schema.transactions.local_time_zone`).
        var zonelessTimes: Set<SQLIdentifier> = []
    }

    /// The mapped columns of a table, each with the spec key that maps it.
    private var mappedColumns: [(table: SQLIdentifier, key: String, tableKey: String, columns: [(String, SQLIdentifier)])] {
        let users = spec.schema.users
        let tx = spec.schema.transactions
        var userColumns: [(String, SQLIdentifier)] = [("id", users.id), ("balance", users.balance), ("label", users.label)]
        if let contact = users.contact { userColumns.append(("contact", contact)) }
        var txColumns: [(String, SQLIdentifier)] = [
            ("id", tx.id), ("user", tx.user), ("type", tx.type), ("status", tx.status), ("amount", tx.amount),
            ("reference", tx.reference),
        ]
        txColumns += tx.completedAt.columns.map { ("completed_at", $0) }
        txColumns += tx.createdAt.columns.map { ("created_at", $0) }
        if let callback = tx.callback { txColumns.append(("callback", callback)) }
        if let signed = tx.callbackSignature {
            txColumns.append(("callback_signature.signature", signed.signature))
            txColumns.append(("callback_signature.raw_body", signed.rawBody))
        }
        if let column = spec.schema.amountReceived.column { txColumns.append(("amount_received.column", column)) }
        for (name, source) in spec.schema.paidAtSources.sorted(by: { $0.key < $1.key }) {
            if let column = source.column { txColumns.append(("paid_at_sources.\(name).column", column)) }
        }
        // A column mapped twice (completed_at as a column and a paid-at source) is looked at once.
        var seen: Set<String> = []
        txColumns = txColumns.filter { seen.insert($0.1.description).inserted }
        return [(users.table, "schema.users", "schema.users.table", userColumns),
                (tx.table, "schema.transactions", "schema.transactions.table", txColumns)]
    }

    func checkAccess(role: String, on connection: PostgresConnection, into findings: inout [CheckFinding]) throws -> Access {
        var access = Access()
        let localTimeZone = try spec.schema.transactions.localTimeZone.flatMap { try ShopCatalog.isKnownTimeZone($0, on: connection) ? $0 : nil }
        for mapped in mappedColumns {
            guard try checkTable(mapped.table, key: mapped.tableKey, on: connection, into: &findings) else {
                access.readable = false
                continue
            }
            for (key, column) in mapped.columns {
                let spelled = "\(mapped.table.unqualifiedName).\(column.description)"
                guard let row = try connection.query(CheckSQL.column, [mapped.table.sql, column.description]).first else {
                    findings.append(CheckFinding("access", .error,
                        "column \(spelled) does not exist (\(mapped.key).\(key)); fix it in job.yaml",
                        facts: ["table": mapped.table.description, "column": column.description]))
                    access.readable = false
                    continue
                }
                let facts = ColumnFacts(type: try row.decode(0), baseType: try row.decode(4),
                                        numericPrecision: try row.decode(5, as: Int?.self), numericScale: try row.decode(6, as: Int?.self))
                let canSelect: Bool = try row.decode(2)
                let canUpdate: Bool = try row.decode(3)
                let factsText = ["table": mapped.table.description, "column": column.description, "type": facts.type,
                                 "not_null": String(try row.decode(1, as: Bool.self)), "can_select": String(canSelect)]
                guard canSelect else {
                    findings.append(CheckFinding("access", .error,
                        "role \(role) may not read \(spelled) (no SELECT privilege); GRANT SELECT (\(column.description)) ON \(mapped.table) TO \(role)",
                        facts: factsText))
                    access.readable = false
                    continue
                }
                let isBalance = mapped.table == spec.schema.users.table && column == spec.schema.users.balance
                if isBalance { access.balance = facts }
                if isBalance, !canUpdate {
                    findings.append(CheckFinding("access", .warning,
                        "role \(role) may read but not update \(spelled): plan works, apply will be refused; GRANT UPDATE (\(column.description)) ON \(mapped.table) TO \(role) before applying",
                        facts: factsText))
                } else if facts.baseType == "timestamp without time zone", mapped.table == spec.schema.transactions.table,
                          spec.schema.transactionTimeColumns.contains(column) {
                    access.zonelessTimes.insert(column)
                    if let zone = localTimeZone {
                        findings.append(CheckFinding("access", .ok, "\(spelled) (\(mapped.key).\(key)): \(facts.type), read as wall time in \(zone) (schema.transactions.local_time_zone)",
                                                     facts: factsText.merging(["local_time_zone": zone]) { $1 }))
                    } else {
                        // Two readings fit such a value; remedy takes one, and says so for a person to confirm.
                        findings.append(CheckFinding("access", .warning,
                            "\(spelled) is \(facts.type), so its values carry no zone: remedy reads them as UTC. If the shop writes another zone's wall time there (an app set to Asia/Jakarta writes +07:00), every time read moves by that offset and so does the window: confirm what the shop writes, and name its zone in schema.transactions.local_time_zone if it is not UTC",
                            facts: factsText))
                    }
                } else if ["real", "double precision", "money"].contains(facts.baseType),
                          isBalance || column == spec.schema.transactions.amount || column == spec.schema.amountReceived.column {
                    findings.append(CheckFinding("access", .warning,
                        "\(spelled) is \(facts.type), which does not hold rupiah exactly; remedy reads it as decimal text and holds any user whose value has more than two decimals",
                        facts: factsText))
                } else {
                    findings.append(CheckFinding("access", .ok, "\(spelled) (\(mapped.key).\(key)): \(facts.type)", facts: factsText))
                }
            }
        }
        checkLocalTimeZone(known: localTimeZone != nil, &access, into: &findings)
        return access
    }

    /// `schema.transactions.local_time_zone`, where set: a zone PostgreSQL knows (else no time can
    /// be read, and the looks at the data are skipped), and one that applies to a mapped column.
    private func checkLocalTimeZone(known: Bool, _ access: inout Access, into findings: inout [CheckFinding]) {
        guard let zone = spec.schema.transactions.localTimeZone else { return }
        guard known else {
            findings.append(CheckFinding("access", .error,
                "schema.transactions.local_time_zone \"\(zone)\" is not a time zone this PostgreSQL knows (pg_timezone_names); use a name such as Asia/Jakarta",
                facts: ["local_time_zone": zone]))
            access.readable = false
            return
        }
        if access.readable, access.zonelessTimes.isEmpty {
            findings.append(CheckFinding("access", .warning,
                "schema.transactions.local_time_zone is \(zone), but every mapped time column carries its zone (timestamptz): it changes nothing; remove it from job.yaml",
                facts: ["local_time_zone": zone]))
        }
    }

    /// Whether the role reads every row of `table`; a finding either way.
    private func checkTable(_ table: SQLIdentifier, key: String, on connection: PostgresConnection,
                            into findings: inout [CheckFinding]) throws -> Bool {
        guard let access = try TableAccess.read(table, on: connection) else {
            let elsewhere = try connection.query(CheckSQL.tablesNamed, [table.unqualifiedName]).map { try $0.decode(0, as: String.self) }
            findings.append(CheckFinding("access", .error,
                "table \(table) does not exist, or this role cannot see it (\(key)); fix it in job.yaml or connect as the shop's owner"
                    + (elsewhere.isEmpty ? "" : "; tables of that name: \(elsewhere.joined(separator: ", "))"),
                facts: ["table": table.description]))
            return false
        }
        let (enabled, forced, role, policies) = (access.rowSecurity, access.forced, access.role, access.policies)
        let facts = ["table": table.description, "row_level_security": String(enabled), "forced": String(forced),
                     "role": role, "owner": String(access.owner), "superuser": String(access.superuser), "bypassrls": String(access.bypassRowSecurity),
                     "can_select": String(access.canSelect), "policies": String(policies)]
        guard access.canSelect else {
            findings.append(CheckFinding("access", .error,
                "role \(role) may not read \(table) (no SELECT privilege); GRANT SELECT ON \(table) TO \(role)", facts: facts))
            return false
        }
        guard enabled else {
            findings.append(CheckFinding("access", .ok, "\(table): readable by \(role), row-level security off", facts: facts))
            return true
        }
        guard !access.isFiltered else {
            findings.append(CheckFinding("access", .error,
                "row-level security is on for \(table)\(forced ? " (forced)" : "") with \(policies) polic\(policies == 1 ? "y" : "ies") and \(role) neither owns it nor has BYPASSRLS: it would read a filtered table that looks in sync; connect as a role with BYPASSRLS (e.g. the service role) or the table's owner",
                facts: facts))
            return false
        }
        let why = access.superuser ? "\(role) is a superuser" : access.bypassRowSecurity ? "\(role) has BYPASSRLS" : "\(role) owns it and it is not forced"
        findings.append(CheckFinding("access", .ok,
            "\(table): row-level security is on\(forced ? " (forced)" : ""), and \(why): remedy reads every row", facts: facts))
        return true
    }
}
