import Postgres

/// The names and values a job's SQL may use, built from its spec and parameters. This is the
/// whole vocabulary of `{{…}}` tokens; jobs/README.md lists it for people writing SQL.
extension SQLTemplate {
    /// `zonelessTimes` (ShopCatalog) says how each mapped time column reads as an instant; without
    /// it the time expressions (`expr.paid_at`, `expr.completed_at`, `expr.created_at`) are left
    /// out, so SQL reading times can only be rendered by a caller that looked at the columns.
    public static func bindings(for spec: JobSpec, parameters: JobParameters, userIdType: String? = nil,
                                zonelessTimes: ZonelessTimes? = nil) throws -> SQLTemplate {
        let users = spec.schema.users
        let tx = spec.schema.transactions
        // A row's type and status as text, whatever the column's type: shops often make them
        // enums, which compare with no text parameter (`operator does not exist`). For a text
        // column the cast is no operation at all.
        let type = "t.\(tx.type.sql)::text", status = "t.\(tx.status.sql)::text"
        var fragments: [String: String] = [
            "users.table": users.table.sql, "users.id": users.id.sql, "users.balance": users.balance.sql,
            "users.label": users.label.sql,
            "tx.table": tx.table.sql, "tx.id": tx.id.sql, "tx.user": tx.user.sql, "tx.type": tx.type.sql,
            "tx.status": tx.status.sql, "tx.amount": tx.amount.sql, "tx.reference": tx.reference.sql,
            "expr.contact": users.contact.map { "u.\($0.sql)::text" } ?? "NULL::text",
            "expr.type": type, "expr.status": status,
            // The ledger, written once for every query that computes it (detect, the recheck under
            // apply's lock, verify, the reconciliation): which rows count, and with which sign.
            "expr.in_ledger": "\(status) = {{$completed_status}} AND (\(type) = ANY({{$positive_types}}::text[]) OR \(type) = ANY({{$negative_types}}::text[]))",
            "expr.ledger_amount": "CASE WHEN \(type) = ANY({{$positive_types}}::text[]) THEN t.\(tx.amount.sql) ELSE -t.\(tx.amount.sql) END",
        ]
        // A fallback list has no single name: SQL that needs it reads expr.completed_at.
        if let single = tx.completedAt.single { fragments["tx.completed_at"] = single.sql }
        if let single = tx.createdAt.single { fragments["tx.created_at"] = single.sql }
        if let userIdType { fragments["users.id_type"] = userIdType }
        var values: [String: any PostgresEncodable] = [
            "job": spec.name,
            "completed_status": spec.ledger.completedStatus,
            "positive_types": PostgresArray(spec.ledger.positiveTypes),
            "negative_types": PostgresArray(spec.ledger.negativeTypes),
            "topup_type": spec.ledger.topupType,
            "purchase_type": spec.ledger.purchaseType,
            "lost_update_enabled": spec.signatures.lostUpdateEnabled,
            "lost_update_tolerance_seconds": spec.signatures.lostUpdateToleranceSeconds,
            "examine_all_users": spec.examine == .allUsers,
            // balance-drift attributes purchase deductions; double-credit weighs them as confounders.
            "with_purchases": !spec.signatures.purchaseDeductionStatuses.isEmpty,
            "deductible_statuses": PostgresArray(spec.signatures.purchaseDeductionStatuses),
            // The double-credit job weighs purchases only where the ordinary story (every window
            // top-up credited once) fails; with a callback log that story is the log's, which
            // detect.sql does not compute, so every drifting user's purchases are read.
            "purchases_only_beyond_ordinary": spec.strategy == .doubleCredit && spec.signatures.callbackLog == nil,
        ]
        for (name, value) in parameters.values { values[name] = value }
        if let zonelessTimes {
            fragments["expr.completed_at"] = zonelessTimes.read(tx.completedAt, alias: "t", zoneValue: ZonelessTimes.templateZone)
            fragments["expr.created_at"] = zonelessTimes.read(tx.createdAt, alias: "t", zoneValue: ZonelessTimes.templateZone)
            if let zone = zonelessTimes.zone, zonelessTimes.usesZone { values[ZonelessTimes.templateZoneParameter] = zone }
        }
        fragments["expr.logged_runs"] = loggedRuns(spec.signatures.callbackLog, userId: users.id, values: &values)

        fragments["expr.amount_received"] = expression(for: spec.schema.amountReceived, callback: tx.callback, fieldParameter: "amount_received_field",
                                                       values: &values, column: spec.schema.amountReceived.column.map { "t.\($0.sql)" }, isTime: false)
        if let choice = parameters.values["paid_at"] {
            guard let source = spec.schema.paidAtSources[choice] else {
                throw RemedyError(.badSpec, "parameter paid_at \"\(choice)\" has no entry in schema.paid_at_sources")
            }
            if let zonelessTimes {
                fragments["expr.paid_at"] = expression(for: source, callback: tx.callback, fieldParameter: "paid_at_field", values: &values,
                                                       column: source.column.map { zonelessTimes.read($0, alias: "t", zoneValue: ZonelessTimes.templateZone) }, isTime: true)
            }
        }
        return SQLTemplate(fragments: fragments, values: values)
    }

    /// Per user, how many handled deliveries the callback log holds for each candidate's reference
    /// (json `[{"reference": …, "runs": "2"}]`), or NULL when the job maps no log.
    private static func loggedRuns(_ log: SignatureRules.CallbackLog?, userId: SQLIdentifier, values: inout [String: any PostgresEncodable]) -> String {
        guard let log else { return "NULL::text" }
        var filter = ""
        if let status = log.status {
            values["callback_log_statuses"] = PostgresArray(log.handledStatuses)
            filter = " AND g.\(status.sql)::text = ANY({{$callback_log_statuses}}::text[])"
        }
        let count = "(SELECT count(*) FROM \(log.table.sql) g WHERE g.\(log.reference.sql) = c.reference\(filter))::text"
        return "(SELECT json_agg(json_build_object('reference', c.reference, 'runs', \(count)) ORDER BY c.reference)"
            + " FROM candidate c WHERE c.user_id = u.\(userId.sql))::text"
    }

    /// A column (`column`: how it is read), or a field of the raw callback that falls back to the
    /// column. A field whose text is not a plain number reads as NULL instead of failing the whole
    /// snapshot on one bad row.
    private static func expression(for source: ShopSchemaMap.Source, callback: SQLIdentifier?, fieldParameter: String,
                                   values: inout [String: any PostgresEncodable], column: String?, isTime: Bool) -> String {
        guard let field = source.callbackField, let callback else { return column ?? "NULL" }
        values[fieldParameter] = field
        let raw = "(t.\(callback.sql) ->> {{$\(fieldParameter)}})"
        let fromCallback = isTime
            ? "CASE WHEN \(raw) ~ '^[0-9]{1,12}$' THEN to_timestamp(\(raw)::double precision) END"
            : CallbackFieldSQL.amount(raw)
        return column.map { "COALESCE(\(fromCallback), \($0))" } ?? fromCallback
    }
}
