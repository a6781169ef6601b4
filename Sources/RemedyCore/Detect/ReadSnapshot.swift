import Postgres

/// What remedy sets at the start of each of its read-only snapshot transactions (check, plan,
/// verify, evidence), whatever the connected role's defaults are: the spec's bound on one
/// statement (`snapshot.statement_timeout_milliseconds`, SnapshotSettings) and, for the passes over
/// every transaction (check's probe, detect), JIT off and detect's work_mem. All of it with
/// `set_config(…, true)`: it ends with the transaction, so a pooler's next client never sees it.
enum ReadSnapshot {
    static func configure(_ spec: JobSpec, on connection: PostgresConnection, scanWorkMemoryKilobytes: Int? = nil) throws {
        _ = try connection.query(CatalogSQL.localStatementTimeout, [spec.snapshot.statementTimeoutMilliseconds])
        guard let scanWorkMemoryKilobytes else { return }
        // JIT compiling detect's large plan (180 functions, in every parallel worker) cost more
        // than it saved: about 2 s of a 14 s detect at 1,000,000 users; check's pass likewise.
        try connection.execute(CatalogSQL.jitOff)
        _ = try connection.query(CatalogSQL.localWorkMemory, ["\(scanWorkMemoryKilobytes)kB"])
    }

    /// PostgreSQL's cancellation at that bound, said as what to change. (A cancellation by a
    /// person, `pg_cancel_backend`, says "user request" and is passed on as it is.)
    static func explainingTimeout(_ error: Error, spec: JobSpec, step: String) -> Error {
        guard let error = error as? PostgresError, error.sqlState == "57014", error.message.contains("statement timeout") else { return error }
        return RemedyError(.io, "\(step) ran longer than snapshot.statement_timeout_milliseconds (\(spec.snapshot.statementTimeoutMilliseconds) ms, \(spec.directory)/job.yaml) and PostgreSQL cancelled it; nothing was written. Raise it there, or find what slowed the database")
    }
}
