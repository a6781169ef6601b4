/// remedy's audit row hash (AuditLog.rowHash: SHA-256 over length-prefixed fields) written in
/// SQL with pgcrypto, as a forger with superuser rights could: to rewrite history so that every
/// row still points at the one before. Only a head recorded outside the database catches that.
enum AuditRowHashSQL {
    /// `n:` then the field's UTF-8 bytes; a missing field is one NUL byte.
    private static func field(_ expression: String) -> String {
        "coalesce(convert_to(octet_length(convert_to(\(expression), 'UTF8'))::text || ':', 'UTF8') || convert_to(\(expression), 'UTF8'), '\\x313a00'::bytea)"
    }

    /// The hash of the row, given the previous row's hash as `prev`, over the row aliased `a`.
    private static let hash = """
        encode(digest(\(field("'remedy-audit/v1'")) || \(field("prev")) || \(field("a.seq::text"))
            || \(field(#"to_char(a.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#))
            || \(field("a.action")) || \(field("a.actor")) || \(field("a.plan_digest")) || \(field("a.user_id")) || \(field("a.content")), 'sha256'), 'hex')
        """

    /// True when the SQL reproduces the stored hash of row $1 (a check on this file).
    static let recomputeOne = "SELECT \(hash) = a.row_hash FROM remedy.audit_log a, LATERAL (SELECT a.prev_hash AS prev) p WHERE a.seq = $1::bigint"

    /// Recomputes prev_hash and row_hash of every row from `seq` on, in order.
    static func rechain(from seq: Int) -> String {
        """
        DO $rechain$
        DECLARE
            a remedy.audit_log%ROWTYPE;
            prev text := (SELECT row_hash FROM remedy.audit_log WHERE seq = \(seq - 1));
        BEGIN
            FOR a IN SELECT * FROM remedy.audit_log WHERE seq >= \(seq) ORDER BY seq LOOP
                UPDATE remedy.audit_log SET prev_hash = prev, row_hash = \(hash) WHERE seq = a.seq;
                prev := (SELECT row_hash FROM remedy.audit_log WHERE seq = a.seq);
            END LOOP;
        END $rechain$
        """
    }
}
