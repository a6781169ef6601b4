/// What `remedy check` (and `remedy plan`, before it reads) asks the database about a job's
/// mapping: catalog facts with bound table and column names, and a few set-based looks at the
/// data, templated like detect.sql (`{{…}}` tokens from the job's spec, values always bound).
/// Every statement is read-only; the caller runs them in one READ ONLY transaction.
enum CheckSQL {
    /// A mapped table: its name as PostgreSQL prints it, row-level security, and what the
    /// connected role may do with it (read through TableAccess, by check and by every command that
    /// reads the shop). $1: the table's quoted name.
    static let table = #"""
    SELECT c.oid::regclass::text,
           c.relrowsecurity,
           c.relforcerowsecurity,
           c.relowner = r.oid AS is_owner,
           r.rolsuper,
           r.rolbypassrls,
           has_any_column_privilege(c.oid, 'SELECT') AS can_select,  -- the table, or some of its columns (each is checked)
           current_user::text,
           (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
      FROM pg_class c, pg_roles r
     WHERE c.oid = to_regclass($1)
       AND r.rolname = current_user
    """#

    /// Tables of a name in any schema, for a mapped table that is not where the spec says.
    static let tablesNamed = #"""
    SELECT format('%I.%I', n.nspname, c.relname)
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
     ORDER BY 1
     LIMIT 10
    """#

    /// A mapped column: its type with modifiers (`numeric(10,2)`), NOT NULL, and whether the
    /// connected role may read it (and update it: the balance). $1: table, $2: column.
    static let column = #"""
    SELECT format_type(a.atttypid, a.atttypmod),
           a.attnotnull,
           has_column_privilege(a.attrelid, a.attnum, 'SELECT'),
           has_column_privilege(a.attrelid, a.attnum, 'UPDATE'),
           a.atttypid::regtype::text,
           -- numeric(p,s) keeps p and s in the type modifier: ((p << 16) | s) + 4.
           CASE WHEN a.atttypid = 'numeric'::regtype AND a.atttypmod >= 4 THEN ((a.atttypmod - 4) >> 16) & 65535 END,
           CASE WHEN a.atttypid = 'numeric'::regtype AND a.atttypmod >= 4 THEN (a.atttypmod - 4) & 65535 END
      FROM pg_attribute a
     WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
    """#

    /// The number of users, the largest and smallest balance that is a number, and how many
    /// balances are not ('NaN' and the infinities, which a numeric column takes): those users
    /// detect holds, one by one.
    static let balances = #"""
    SELECT count(*)::bigint,
           max(u.{{users.balance}}) FILTER (WHERE u.{{users.balance}}::numeric NOT IN ('NaN', 'Infinity', '-Infinity'))::text,
           min(u.{{users.balance}}) FILTER (WHERE u.{{users.balance}}::numeric NOT IN ('NaN', 'Infinity', '-Infinity'))::text,
           count(*) FILTER (WHERE u.{{users.balance}}::numeric IN ('NaN', 'Infinity', '-Infinity'))::bigint
      FROM {{users.table}} u
    """#

    /// One pass over the transactions, grouped by type, status, (for a paid top-up near the
    /// window) its window day and (for a row with a reference) where its amount_received comes
    /// from: rows and their sum, and how many have each mapped column NULL. The groups are few;
    /// remedy sums them for each question (completed purchases, paid top-ups, types the ledger map
    /// leaves out, the window), so a plan pays for one scan of the table, not one per question.
    /// The callback's field and its pattern are read once per row, in the grouping key
    /// `received` (the counts below compare the key, not the field again), and only for the
    /// top-ups `check.received_scope` admits; the scan and the grouping can run in parallel
    /// workers (transactionsPlannerSettings). `check.offsets` adds, for a sample of those
    /// top-ups when completed, each paid_at column's offset from the callback's paid_at
    /// (timeOffsets), and `check.offset_columns` returns and groups by them; both are empty when
    /// nothing is compared.
    static let transactions = #"""
    SELECT r.type,
           r.status,
           {{check.window_day}},
           count(*)::bigint,
           round(COALESCE(sum(r.amount) FILTER (WHERE NOT r.amount_not_a_number), 0), 2)::text,
           count(*) FILTER (WHERE r.completed_at IS NULL),
           count(*) FILTER (WHERE r.created_at IS NULL),
           count(*) FILTER (WHERE r.has_reference),
           count(*) FILTER (WHERE r.has_reference AND r.paid_at IS NULL),
           count(*) FILTER (WHERE r.received = 'none'),
           count(*) FILTER (WHERE r.received IN ('callback', 'disagree')),
           count(*) FILTER (WHERE r.received = 'column'),
           count(*) FILTER (WHERE r.received = 'disagree'),
           count(*) FILTER (WHERE r.user_or_amount_null OR r.amount_not_a_number)
           {{check.offset_columns}}
      FROM (SELECT {{expr.type}} AS type,
                   {{expr.status}} AS status,
                   t.{{tx.amount}} AS amount,
                   {{expr.completed_at}} AS completed_at,
                   {{expr.created_at}} AS created_at,
                   t.{{tx.reference}} IS NOT NULL AS has_reference,
                   -- An amount that is not a number ('NaN', an infinity, which numeric takes) counts
                   -- as none: no ledger can hold it, and no sum here adds it.
                   t.{{tx.amount}}::numeric IN ('NaN', 'Infinity', '-Infinity') AS amount_not_a_number,
                   t.{{tx.user}} IS NULL OR t.{{tx.amount}} IS NULL AS user_or_amount_null,
                   CASE WHEN t.{{tx.reference}} IS NOT NULL THEN {{expr.paid_at}} END AS paid_at,
                   CASE WHEN t.{{tx.reference}} IS NOT NULL AND {{check.received_scope}} THEN {{check.received}} END AS received
                   {{check.offsets}}
              FROM {{tx.table}} t) r
     GROUP BY 1, 2, 3, r.received {{check.offset_columns}}
    """#

    /// The groups above are few (types × statuses × window days × 4 sources), but PostgreSQL
    /// estimates them from the columns inside the grouping expressions: over a million at
    /// 300,000 users. On that estimate it sorts every row to group them (7 s of a 13 s pass at
    /// 300,000 users), and prices the parallel plan's partial groups out, leaving the pass
    /// serial. For that statement only, sorting is priced out and passing a group from a worker
    /// made cheap; a hash of the real groups takes kilobytes (SchemaCheck.transactionGroups puts
    /// the transaction's settings back after it). Returns the settings it replaces.
    static let transactionsPlannerSettings = """
    SELECT current_setting('parallel_tuple_cost'), current_setting('enable_sort'),
           set_config('parallel_tuple_cost', '0.001', true), set_config('enable_sort', 'off', true)
    """
    /// $1, $2: what transactionsPlannerSettings returned.
    static let restorePlannerSettings = "SELECT set_config('parallel_tuple_cost', $1, true), set_config('enable_sort', $2, true)"

    /// A top-up paid in the window or within a day of it: the rows check groups by day and whose
    /// amount_received source it reads. `type` and `paidAt` come rendered (a fragment holds
    /// parameters but no names). The day's bounds are bound (SchemaCheck.nearWindowValues):
    /// written `$since - interval '1 day'`, a STABLE function PostgreSQL never folds, they were
    /// computed in each test on every top-up with a reference, and as scalar subqueries (init
    /// plans) the pass was slower still (BENCHMARKS.md, sixteenth round).
    static func nearWindow(type: String, paidAt: String) -> String {
        "(\(type) = {{$topup_type}} AND \(paidAt) >= {{$check_near_since}}::timestamptz"
            + " AND \(paidAt) < {{$check_near_until}}::timestamptz)"
    }

    /// A paid top-up's place around the window: `before` (the day before since), `after` (the
    /// day after until), its UTC day inside the window, or NULL for any other row (of the
    /// per-row values `r` above).
    static let windowDay = #"""
    CASE WHEN r.has_reference AND \#(nearWindow(type: "r.type", paidAt: "r.paid_at"))
         THEN CASE WHEN r.paid_at < {{$since}}::timestamptz THEN 'before'
                   WHEN r.paid_at >= {{$until}}::timestamptz THEN 'after'
                   ELSE to_char(r.paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') END
    END
    """#

    /// For the grouped pass above, per row (`check.offsets`): how far each paid_at column (as
    /// `reads` read it) lies from the callback's paid_at field (`$check_paid_at_field`, Unix
    /// seconds), rounded to `bucketSeconds`, on a completed top-up of `scope` (rendered:
    /// parameters only, no names, as a fragment must be) whose reference hashes into one of
    /// `sampleEvery` buckets (a power of two; 1: every one); NULL on any other row and where the
    /// field is not plain digits (CASE tests the pattern before the cast, which WHERE would not
    /// promise: one odd callback must not fail the check). Reading the callback's field and
    /// computing the offsets on each of the 488,152 top-ups near the window of the 1,000,000-user
    /// shop cost 4 to 5 s of a 12 s pass; on one in sixteen, the pass's own noise.
    static func timeOffsets(reads: [String], callback: SQLIdentifier, status: String, reference: String, scope: String,
                            sampleEvery: Int, bucketSeconds: Int) -> String {
        precondition(sampleEvery > 0 && sampleEvery & (sampleEvery - 1) == 0, "a power of two")
        let raw = "(t.\(callback.sql) ->> {{$check_paid_at_field}})"
        let sample = sampleEvery == 1 ? "" : " AND (hashtext(\(reference)::text) & \(sampleEvery - 1)) = 0"
        return reads.enumerated().map { index, read in
            // Cheapest and most selective first: AND stops at the first false.
            ", CASE WHEN \(reference) IS NOT NULL\(sample) AND \(scope) AND \(status) = {{$completed_status}} AND \(raw) ~ '^[0-9]{1,12}$'"
                + " THEN (round((date_part('epoch', \(read)) - \(raw)::bigint) / \(bucketSeconds)) * \(bucketSeconds))::bigint END AS time_offset_\(index)"
        }.joined(separator: "\n")
    }

    /// Rows in the transactions table as the planner last counted them (-1 or 0 before any
    /// ANALYZE, and for a partitioned parent): how thin check's sample of top-ups must be.
    static let estimatedRows = "SELECT COALESCE((SELECT reltuples FROM pg_class WHERE oid = to_regclass($1)), -1)::bigint"

    /// For a job without a window (no since, until and paid_at parameters).
    static let noWindowDay = "NULL::text"

    /// Without a window: every paid top-up.
    static let everyReceived = "TRUE"

    /// Where a row's amount_received comes from, as detect reads it: `callback` (the callback's
    /// field is a plain number, CallbackFieldSQL), `disagree` (it is, and the column holds
    /// another figure), `column` (only the column has one) or `none`. The field's name is bound
    /// as detect binds it; the field and the pattern are read once.
    static func received(callback: SQLIdentifier?, column: SQLIdentifier?) -> String {
        let fromColumn = column.map { "t.\($0.sql)" } ?? "NULL::numeric"
        let orColumn = "WHEN \(fromColumn) IS NOT NULL THEN 'column' ELSE 'none' END"
        guard let callback else { return "(CASE \(orColumn))" }
        let raw = "(t.\(callback.sql) ->> {{$amount_received_field}})"
        return "(CASE WHEN \(CallbackFieldSQL.isAmount(raw)) THEN CASE WHEN \(raw)::numeric <> \(fromColumn) THEN 'disagree' ELSE 'callback' END "
            + "\(orColumn))"
    }

    static let noPaidAt = "NULL::timestamptz"
}
