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

    /// The ledger floor: what any balance − ledger answer must at least read, every completed row
    /// summed by user with the job's signs (topup and refund +1, purchase −1, the rest 0). Run with
    /// `work_mem` 256MB (with the default 4MB the aggregate spills to disk) and streamed.
    static let ledgerFloor = """
        SELECT user_id,
               sum(CASE WHEN transaction_type IN ('topup', 'refund') THEN amount
                        WHEN transaction_type = 'purchase' THEN -amount
                        ELSE 0 END)
          FROM transactions
         WHERE status = 'completed'
         GROUP BY user_id
        """
    static let ledgerFloorWorkMem = "SET LOCAL work_mem = '256MB'"

    /// The rows the ledger floor sums, each with its sign, for the client to sum (Yardsticks.clientLedger).
    static let ledgerRows = """
        SELECT user_id::text,
               (CASE WHEN transaction_type IN ('topup', 'refund') THEN amount
                     WHEN transaction_type = 'purchase' THEN -amount
                     ELSE 0 END)::text
          FROM transactions
         WHERE status = 'completed'
        """

    /// Every transaction's columns that detect and check read, for the one-pass yardstick
    /// (OnePassFold's order), by binary COPY: one server process, the client folding beside it.
    static let onePassRows = """
        COPY (SELECT user_id, id, transaction_type, status, amount, tripay_reference IS NOT NULL, tripay_paid_at,
                     completed_at, created_at, tripay_amount
                FROM transactions) TO STDOUT (FORMAT binary)
        """

    /// A time as binary COPY sends it: microseconds since 2000-01-01 UTC. $1: the time.
    static let binaryTimestamp = "SELECT (extract(epoch FROM $1::timestamptz - timestamptz '2000-01-01 00:00:00+00') * 1000000)::bigint"

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

    /// The book floor, after apply: the rows apply wrote for the plan (entries, receivables, audit
    /// rows) written again set-based, each statement once, in the transaction that also runs the
    /// bare UPDATE; rolled back (committed on a durable copy that is dropped after). Keys and
    /// hashes get a prefix so the unique constraints hold; the evidence is copied as the text
    /// apply books (schema 10). $1: the plan's digest.
    static let bookFloor = [
        """
        INSERT INTO remedy.entries (idempotency_key, kind, job, plan_digest, run_id, user_id, amount, balance_before, balance_after, evidence)
        SELECT 'floor:' || idempotency_key, kind, job, plan_digest, run_id, user_id, amount, balance_before, balance_after, evidence
          FROM remedy.entries WHERE plan_digest = $1
        """,
        """
        INSERT INTO remedy.receivables (idempotency_key, job, plan_digest, user_id, amount)
        SELECT 'floor:' || idempotency_key, job, plan_digest, user_id, amount FROM remedy.receivables WHERE plan_digest = $1
        """,
        """
        INSERT INTO remedy.audit_log (seq, recorded_at, action, actor, plan_digest, user_id, content, prev_hash, row_hash)
        SELECT seq + (SELECT max(seq) FROM remedy.audit_log), recorded_at, action, actor, plan_digest, user_id, content, prev_hash, 'floor:' || row_hash
          FROM remedy.audit_log WHERE plan_digest = $1
        """,
    ]

    /// The server settings a figure depends on, as the server has them.
    static let settings = """
        SELECT name || '=' || current_setting(name) FROM pg_settings
         WHERE name IN ('shared_buffers', 'effective_cache_size', 'work_mem', 'maintenance_work_mem', 'max_wal_size',
                        'checkpoint_timeout', 'wal_buffers', 'max_parallel_workers_per_gather', 'jit',
                        'fsync', 'synchronous_commit', 'full_page_writes', 'track_commit_timestamp')
         ORDER BY name
        """

    /// Apply's batches as the server saw them: each batch's transaction began at `now()` (its
    /// entries' booked_at) and committed at its commit timestamp (track_commit_timestamp), so the
    /// difference covers every row lock the batch held, from BEGIN to COMMIT. $1: the plan digest.
    static let batchDurations = """
        WITH batch AS (
            SELECT booked_at AS began, pg_xact_commit_timestamp(xmin) AS ended, count(*) AS users
              FROM remedy.entries WHERE plan_digest = $1 AND kind = 'discovered' GROUP BY booked_at, xmin
        )
        \(batchPercentiles)
        """

    /// Without commit timestamps: each batch ends at its audit rows' recorded_at, one
    /// clock_timestamp() taken before they are hashed and inserted. A lower bound on how long
    /// the batch held its row locks: it misses the audit insert and COMMIT. Batches are paired
    /// with the first audit write at or after their start (no join on users: 150,000 rows on
    /// each side, without fresh statistics, made a nested loop of it).
    static let batchDurationsToLastTimestamp = """
        WITH began AS (
            SELECT booked_at AS began, count(*) AS users
              FROM remedy.entries WHERE plan_digest = $1 AND kind = 'discovered' GROUP BY booked_at
        ),
        wrote AS (
            SELECT DISTINCT recorded_at AS wrote FROM remedy.audit_log WHERE plan_digest = $1 AND action = 'correction.applied'
        ),
        batch AS (
            SELECT b.began, b.users, (SELECT min(w.wrote) FROM wrote w WHERE w.wrote >= b.began) AS ended FROM began b
        )
        \(batchPercentiles)
        """

    private static let batchPercentiles = """
        SELECT count(*)::bigint,
               COALESCE(percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ended - began)), 0)::float8 * 1000,
               COALESCE(percentile_disc(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM ended - began)), 0)::float8 * 1000,
               COALESCE(max(extract(epoch FROM ended - began)), 0)::float8 * 1000,
               COALESCE(max(users), 0)::bigint
          FROM batch
        """

    static let tracksCommitTimestamps = "SELECT current_setting('track_commit_timestamp')::boolean"

    static let serverVersion = "SHOW server_version"

    // pg_stat_statements (ServerStatementTimes): only the current database's statements are
    // reset and read.
    static let statementStatisticsLoaded = """
        SELECT 'pg_stat_statements' = ANY(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))
        """
    static let createStatementStatistics = "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
    static let resetStatementStatistics = """
        SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)
        """
    static let statementPlanningTracked = "SELECT COALESCE(current_setting('pg_stat_statements.track_planning', true), 'off')::boolean"
    /// Statements with the same text (the same query id) under different users are summed.
    static let statementTimes = """
        SELECT query, sum(calls)::bigint, sum(total_plan_time)::float8, sum(total_exec_time)::float8
          FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND query NOT LIKE '%pg_stat_statements%'
         GROUP BY query
         ORDER BY sum(total_plan_time) + sum(total_exec_time) DESC
        """
}
