/// The statements the benchmark measures remedy against, and its bookkeeping queries.
enum BenchmarkSQL {
    /// Seed 000's daily reconciliation job, as the seed writes it, with its elided `SUM(...)`
    /// written out in full each time it appears.
    static let seedReconciliation = """
        SELECT
          u.username,
          u.balance as db_balance,
          COALESCE(SUM(
            CASE
              WHEN t.transaction_type = 'topup' AND t.status = 'completed' THEN t.amount
              WHEN t.transaction_type = 'purchase' AND t.status = 'completed' THEN -t.amount
              ELSE 0
            END
          ), 0) as calculated_balance,
          u.balance - COALESCE(SUM(
            CASE
              WHEN t.transaction_type = 'topup' AND t.status = 'completed' THEN t.amount
              WHEN t.transaction_type = 'purchase' AND t.status = 'completed' THEN -t.amount
              ELSE 0
            END
          ), 0) as difference
        FROM users u
        LEFT JOIN transactions t ON t.user_id = u.id
        GROUP BY u.id, u.username, u.balance
        HAVING ABS(u.balance - COALESCE(SUM(
            CASE
              WHEN t.transaction_type = 'topup' AND t.status = 'completed' THEN t.amount
              WHEN t.transaction_type = 'purchase' AND t.status = 'completed' THEN -t.amount
              ELSE 0
            END
          ), 0)) > 0.01;
        """

    static let countTransactions = "SELECT count(*) FROM transactions"

    static let counts = "SELECT (SELECT count(*) FROM public.users)::bigint, (SELECT count(*) FROM public.transactions)::bigint"

    /// The benchmark's own yardstick: the plan's balance moves, set-based, in one statement. Run in
    /// a transaction that is rolled back.
    static let bareUpdate = """
        UPDATE users u
           SET balance = u.balance - d.x
          FROM unnest($1::text[]::uuid[], $2::numeric[]) AS d(id, x)
         WHERE u.id = d.id
        """

    /// Apply's batches as the server saw them: each batch's transaction began at `now()` (its
    /// entries' booked_at) and wrote its audit rows, all with one clock_timestamp(), just before
    /// COMMIT; the difference is a lower bound on how long the batch held its row locks, missing
    /// only COMMIT. Batches are paired with the first audit write at or after their start (no join
    /// on users: 150,000 rows on each side, without fresh statistics, made a nested loop of it).
    static let batchDurations = """
        WITH began AS (
            SELECT booked_at AS began, count(*) AS users
              FROM remedy.entries WHERE plan_digest = $1 AND kind = 'discovered' GROUP BY booked_at
        ),
        wrote AS (
            SELECT DISTINCT recorded_at AS wrote FROM remedy.audit_log WHERE plan_digest = $1 AND action = 'correction.applied'
        ),
        batch AS (
            SELECT b.began, b.users, (SELECT min(w.wrote) FROM wrote w WHERE w.wrote >= b.began) AS last_write FROM began b
        )
        SELECT count(*)::bigint,
               COALESCE(percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM last_write - began)), 0)::float8 * 1000,
               COALESCE(percentile_disc(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM last_write - began)), 0)::float8 * 1000,
               COALESCE(max(extract(epoch FROM last_write - began)), 0)::float8 * 1000,
               COALESCE(max(users), 0)::bigint
          FROM batch
        """

    static let serverVersion = "SHOW server_version"
}
