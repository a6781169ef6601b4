/// What `remedy export` reads from remedy's own schema to cross-check a bundle. Read-only.
enum ExportSQL {
    static let runsOfPlan = #"""
    SELECT id::text, operator_name,
           to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           outcome
      FROM remedy.runs
     WHERE plan_digest = $1
     ORDER BY started_at, id
    """#

    /// The booking entry of each correction this plan's lines stand for, by this plan or by another
    /// plan made from the same state (same idempotency key).
    static let bookedEntries = #"""
    SELECT idempotency_key, plan_digest, run_id::text, user_id, amount::text, balance_before::text, balance_after::text
      FROM remedy.entries
     WHERE kind = $3 AND (plan_digest = $1 OR idempotency_key = ANY($2::text[]))
     ORDER BY id
    """#

    static let receivablesOfPlan = #"""
    SELECT r.idempotency_key, r.user_id, r.amount::text,
           EXISTS (SELECT 1 FROM remedy.receivable_settlements s WHERE s.receivable_key = r.idempotency_key)
      FROM remedy.receivables r
     WHERE r.plan_digest = $1
     ORDER BY r.id
    """#

    /// Apply writes an audit row for every skipped line; the latest one per user says why.
    static let skipsOfPlan = #"""
    SELECT seq, user_id, content
      FROM remedy.audit_log
     WHERE plan_digest = $1 AND action = 'correction.skipped' AND user_id IS NOT NULL
     ORDER BY seq
    """#
}
