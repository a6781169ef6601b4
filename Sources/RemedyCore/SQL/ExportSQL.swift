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

    /// The booking entry of each of these idempotency keys, by this plan or by another plan made
    /// from the same state (one per key and kind: the book's unique key), as signed
    /// (BookSignature.requireSignedEntries reads columns 0–10).
    static let entriesOfKeys = #"""
    SELECT idempotency_key, kind, job, plan_digest, run_id::text, user_id, amount::text, balance_before::text, balance_after::text,
           signer, signature
      FROM remedy.entries
     WHERE kind = $2 AND idempotency_key = ANY($1::text[])
    """#

    /// The receivables this plan opened for these idempotency keys.
    static let receivablesOfKeys = #"""
    SELECT idempotency_key, amount::text
      FROM remedy.receivables
     WHERE plan_digest = $1 AND idempotency_key = ANY($2::text[])
    """#

    /// This plan's book in sums: users booked, Σ amount, Σ (before − after), Σ receivables opened.
    static let bookOfPlan = #"""
    SELECT count(DISTINCT e.user_id)::int8, coalesce(sum(e.amount), 0)::text,
           coalesce(sum(e.balance_before - e.balance_after), 0)::text,
           (SELECT coalesce(sum(r.amount), 0)::text FROM remedy.receivables r WHERE r.plan_digest = $1)
      FROM remedy.entries e
     WHERE e.plan_digest = $1 AND e.kind = $2
    """#

    /// Apply writes an audit row for every skipped line; the latest one per user says why.
    static let skipsOfPlan = #"""
    SELECT seq, user_id, content
      FROM remedy.audit_log
     WHERE plan_digest = $1 AND action = 'correction.skipped' AND user_id IS NOT NULL
     ORDER BY seq
    """#
}
