/// Apply's statements. Those on the shop's tables are templates: `{{…}}` are the job spec's
/// validated, quoted names (see SQLTemplate); values are always bound.
enum ApplySQL {
    /// The batch's lock and statement timeouts, for its transaction only (SET LOCAL as a function,
    /// so both are bound, in one round trip). $1, $2: milliseconds.
    static let setLocalTimeouts = "SELECT set_config('lock_timeout', $1::int || 'ms', true), set_config('statement_timeout', $2::int || 'ms', true)"

    /// Lock the batch's users in id order (a fixed order cannot deadlock with another locker).
    /// A separate statement from the recheck: in READ COMMITTED the recheck's snapshot is then
    /// taken after the locks are held, so it sees every transaction that touched these balances.
    static let lockUsers = #"""
    SELECT u.{{users.id}}::text
      FROM {{users.table}} u
     WHERE u.{{users.id}} = ANY({{$user_ids}}::text[]::{{users.id_type}}[])
     ORDER BY u.{{users.id}}
       FOR UPDATE OF u
    """#

    /// Move each balance by its delta. What it moved to is read afterwards (balancesAfterMove),
    /// not returned: RETURNING shows the row before AFTER triggers run.
    static let moveBalances = #"""
    UPDATE {{users.table}} u
       SET {{users.balance}} = u.{{users.balance}} + d.delta
      FROM unnest({{$user_ids}}::text[]::{{users.id_type}}[], {{$deltas}}::numeric[]) AS d(id, delta)
     WHERE u.{{users.id}} = d.id
    """#

    /// Deferred constraint triggers fire now instead of at commit, so their changes are seen too.
    static let fireDeferredTriggers = "SET CONSTRAINTS ALL IMMEDIATE"

    /// The balances after the move, AFTER triggers included, checked against before + delta: a
    /// trigger on users that also moves the balance fails the batch loudly.
    static let balancesAfterMove = #"""
    SELECT u.{{users.id}}::text, u.{{users.balance}}::text
      FROM {{users.table}} u
     WHERE u.{{users.id}} = ANY({{$user_ids}}::text[]::{{users.id_type}}[])
    """#

    static let bookedKeys = "SELECT idempotency_key FROM remedy.entries WHERE idempotency_key = ANY($1::text[]) AND kind = $2"
    /// Every revert booked for a job (few: a revert is a person's decision): a correction whose
    /// revert key is here is no longer live.
    static let revertKeysOfJob = "SELECT idempotency_key FROM remedy.entries WHERE job = $1 AND kind = 'revert'"

    static let bookEntries = #"""
    INSERT INTO remedy.entries (idempotency_key, kind, job, plan_digest, run_id, user_id, amount, balance_before, balance_after, evidence, signer, signature)
    SELECT k, kind, $1, $2, $3::uuid, u, a, b, af, e, CASE WHEN s IS NOT NULL THEN $11 END, s
      FROM unnest($4::text[], $5::text[], $6::text[], $7::numeric[], $8::numeric[], $9::numeric[], $10::text[], $12::text[]) AS x(k, kind, u, a, b, af, e, s)
    """#

    static let openReceivables = #"""
    INSERT INTO remedy.receivables (idempotency_key, job, plan_digest, user_id, amount, signer, signature)
    SELECT k, $1, $2, u, a, $6, s FROM unnest($3::text[], $4::text[], $5::numeric[], $7::text[]) AS x(k, u, a, s)
    """#

    /// The receivables that count in an excess (open), with their signatures (NULL on those opened
    /// before schema version 11), for BookSignature to check.
    static let openReceivablesSigned = #"""
    SELECT r.idempotency_key, r.job, r.plan_digest, r.user_id, r.amount::text, r.signer, r.signature
      FROM remedy.receivables r
     WHERE r.idempotency_key IN (SELECT o.idempotency_key FROM remedy.open_receivables o)
     ORDER BY r.id
    """#
    /// Every settlement (each takes a receivable out of every excess), with its signature.
    static let settlementsSigned = #"""
    SELECT s.receivable_key, s.revert_key, s.plan_digest, s.run_id::text, s.amount::text, s.signer, s.signature
      FROM remedy.receivable_settlements s
     ORDER BY s.id
    """#

    static let insertRun = #"""
    INSERT INTO remedy.runs (id, plan_digest, job, operator_key, operator_name, host, pid)
    VALUES ($1::uuid, $2, $3, $4, $5, $6, $7)
    """#
    static let finishRun = "UPDATE remedy.runs SET finished_at = now(), outcome = $2 WHERE id = $1::uuid"
    /// Under the job's lease no other runner is alive, so any unfinished run of the job died.
    static let markInterruptedRuns = "UPDATE remedy.runs SET finished_at = now(), outcome = 'interrupted' WHERE job = $1 AND finished_at IS NULL"

    static let now = "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
}
