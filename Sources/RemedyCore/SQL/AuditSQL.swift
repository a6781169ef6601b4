/// The audit log's statements. Appends take a transaction-scoped advisory lock so the chain never
/// forks (it works through a transaction pooler, unlike a session lock).
enum AuditSQL {
    static let appendLockKey: Int64 = 0x7265_6d65_6479_00a1
    static let lock = "SELECT pg_advisory_xact_lock($1)"
    /// The head: one row, seq and row_hash, NULLs on an empty log (AuditLog.head(of:)).
    static let head = #"""
    SELECT h.seq, h.row_hash
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (SELECT seq, row_hash FROM remedy.audit_log ORDER BY seq DESC LIMIT 1) AS h ON true
    """#
    /// The head as above and the time the rows appended after it are recorded at, in one round
    /// trip, under the append lock.
    static let headAndNow = #"""
    SELECT head.*, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
      FROM (\#(head)) AS head
    """#
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

    /// remedy's own records that each get their audit row in the same transaction, where the log
    /// now holds fewer such rows than there are records: rows were removed (a truncated log or a
    /// deleted tail still chains; this shows it without a recorded head).
    static let recordsWithoutTheirRows = #"""
    SELECT what, action, records, audited FROM (VALUES
        ('plans in remedy.plans', 'plan.created', (SELECT count(*) FROM remedy.plans),
         (SELECT count(DISTINCT plan_digest) FROM remedy.audit_log WHERE action = 'plan.created')),
        ('approvals in remedy.approvals', 'plan.approved', (SELECT count(*) FROM remedy.approvals),
         (SELECT count(*) FROM remedy.audit_log WHERE action = 'plan.approved')),
        ('runs in remedy.runs', 'apply.started', (SELECT count(*) FROM remedy.runs),
         (SELECT count(*) FROM remedy.audit_log WHERE action = 'apply.started')),
        ('corrections in remedy.entries', 'correction.applied or revert.applied',
         (SELECT count(*) FROM remedy.entries WHERE kind IN ('discovered', 'revert')),
         (SELECT count(*) FROM remedy.audit_log WHERE action IN ('correction.applied', 'revert.applied'))),
        ('acknowledgements in remedy.acknowledgements', 'hold.acknowledged', (SELECT count(*) FROM remedy.acknowledgements),
         (SELECT count(*) FROM remedy.audit_log WHERE action = 'hold.acknowledged')),
        ('approver set updates in remedy.approver_sets', 'approvers.updated', (SELECT count(*) FROM remedy.approver_sets WHERE version > 1),
         (SELECT count(*) FROM remedy.audit_log WHERE action = 'approvers.updated')),
        -- A receivable and a settlement count only with the audit row of the line that made it
        -- (same key, same amount): one added by SQL has none. For receivables a semi-join
        -- on plan and user: only the audit rows of users with a receivable are parsed as JSON.
        ('receivables in remedy.receivables', 'correction.applied', (SELECT count(*) FROM remedy.receivables),
         (SELECT count(*) FROM remedy.receivables r
           WHERE EXISTS (SELECT 1 FROM remedy.audit_log a
                          WHERE a.action = 'correction.applied' AND a.plan_digest = r.plan_digest AND a.user_id = r.user_id
                            AND a.content::jsonb->>'idempotency_key' = r.idempotency_key
                            AND (a.content::jsonb->>'receivable')::numeric = r.amount))),
        ('receivable settlements in remedy.receivable_settlements', 'revert.applied', (SELECT count(*) FROM remedy.receivable_settlements),
         (SELECT count(DISTINCT s.id) FROM remedy.receivable_settlements s
            JOIN (SELECT plan_digest, content::jsonb AS c FROM remedy.audit_log WHERE action = 'revert.applied') a
              ON a.plan_digest = s.plan_digest AND a.c->>'idempotency_key' = s.revert_key
             AND (a.c->>'receivable')::numeric = -s.amount))
    ) AS c(what, action, records, audited)
    WHERE audited < records
    """#
}
