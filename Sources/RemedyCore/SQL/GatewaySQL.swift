/// What `remedy evidence` reads of the shop (read-only, in one READ ONLY transaction): the
/// merchant_ref and status of the top-ups a plan names, and the window's top-ups the shop never
/// completed (the gateway may show them paid: then the shop owes the user). Names from the job
/// spec, always quoted; values always bound.
enum GatewaySQL {
    /// $1: transaction ids, a text array. Columns: id, status, merchant_ref (NULL when the spec maps none).
    /// `idType`: the id column's own type as the catalog prints it (CatalogSQL.columnType), so the
    /// ids are compared in it and the primary key's index finds them (a batch of lines at a time).
    static func topUpRows(_ spec: JobSpec, idType: String) -> String {
        let t = spec.schema.transactions
        return """
        SELECT t.\(t.id.sql)::text, t.\(t.status.sql)::text, \(merchantRef(spec))
          FROM \(t.table.sql) t
         WHERE t.\(t.id.sql) = ANY($1::text[]::\(idType)[])
        """
    }

    /// Top-ups created in the window that never completed: no time in the first completed_at
    /// column (a row completed and later refunded has one, and is not owed).
    /// $1: the top-up type, $2 and $3: the window, $4 (only where `times` reads a column in a zone):
    /// the zone. Columns: reference, id, user, status, amount, merchant_ref.
    static func neverCompletedTopUps(_ spec: JobSpec, times: ZonelessTimes) -> (sql: String, readsZone: Bool) {
        let t = spec.schema.transactions
        let created = times.read(t.createdAt, alias: "t", zoneValue: "$4")
        let sql = """
        SELECT t.\(t.reference.sql)::text, t.\(t.id.sql)::text, t.\(t.user.sql)::text, t.\(t.status.sql)::text,
               t.\(t.amount.sql)::text, \(merchantRef(spec))
          FROM \(t.table.sql) t
         WHERE t.\(t.type.sql)::text = $1
           AND t.\(t.completedAt.columns[0].sql) IS NULL
           AND t.\(t.reference.sql) IS NOT NULL
           AND \(created) >= $2::timestamptz AND \(created) < $3::timestamptz
         ORDER BY 1, 2
        """
        return (sql, times.readsInZone(t.createdAt))
    }

    private static func merchantRef(_ spec: JobSpec) -> String {
        spec.gateway?.merchantRefColumn.map { "t.\($0.sql)::text" } ?? "t.\(spec.schema.transactions.id.sql)::text"
    }
}
