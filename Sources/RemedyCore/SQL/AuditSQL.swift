/// The audit log's statements. Appends take a transaction-scoped advisory lock so the chain never
/// forks (it works through a transaction pooler, unlike a session lock).
enum AuditSQL {
    static let appendLockKey: Int64 = 0x7265_6d65_6479_00a1
    static let lock = "SELECT pg_advisory_xact_lock($1)"
    static let head = "SELECT seq, row_hash FROM remedy.audit_log ORDER BY seq DESC LIMIT 1"
    static let now = "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    static let insert = #"""
    INSERT INTO remedy.audit_log (seq, recorded_at, action, actor, plan_digest, user_id, content, prev_hash, row_hash)
    SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
    """#
    static let walk = #"""
    SELECT seq, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), action, actor,
           plan_digest, user_id, content, prev_hash, row_hash
      FROM remedy.audit_log
     ORDER BY seq
    """#
}
