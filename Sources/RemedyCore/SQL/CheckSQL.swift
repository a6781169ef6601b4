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

    /// The largest balance and the number of users.
    static let balances = #"""
    SELECT count(*)::bigint, max(u.{{users.balance}})::text, min(u.{{users.balance}})::text
      FROM {{users.table}} u
    """#

    /// One pass over the transactions, grouped by type, status and (for a paid top-up near the
    /// window) its window day: rows and their sum, and how many have each mapped column NULL or
    /// where their amount_received comes from. The groups are few; remedy sums them for each
    /// question (completed purchases, paid top-ups, types the ledger map leaves out, the window),
    /// so a plan pays for one scan of the table, not one per question. Each row's values are
    /// computed once, below the `OFFSET 0` fence (the callback's field and its regex once, not
    /// once per count: at 1,000,000 rows that was more than half the time).
    static let transactions = #"""
    SELECT r.type,
           r.status,
           {{check.window_day}},
           count(*)::bigint,
           round(COALESCE(sum(r.amount), 0), 2)::text,
           count(*) FILTER (WHERE r.completed_at IS NULL),
           count(*) FILTER (WHERE r.created_at IS NULL),
           count(*) FILTER (WHERE r.has_reference),
           count(*) FILTER (WHERE r.has_reference AND r.paid_at IS NULL),
           count(*) FILTER (WHERE r.has_reference AND COALESCE(r.from_callback, r.from_column) IS NULL),
           count(*) FILTER (WHERE r.has_reference AND r.from_callback IS NOT NULL),
           count(*) FILTER (WHERE r.has_reference AND r.from_callback IS NULL AND r.from_column IS NOT NULL),
           count(*) FILTER (WHERE r.has_reference AND r.from_callback <> r.from_column),
           count(*) FILTER (WHERE r.user_or_amount_null)
      FROM (SELECT t.{{tx.type}}::text AS type,
                   t.{{tx.status}}::text AS status,
                   t.{{tx.amount}} AS amount,
                   {{expr.completed_at}} AS completed_at,
                   {{expr.created_at}} AS created_at,
                   t.{{tx.reference}} IS NOT NULL AS has_reference,
                   t.{{tx.user}} IS NULL OR t.{{tx.amount}} IS NULL AS user_or_amount_null,
                   CASE WHEN t.{{tx.reference}} IS NOT NULL THEN {{expr.paid_at}} END AS paid_at,
                   CASE WHEN t.{{tx.reference}} IS NOT NULL THEN {{check.received_from_callback}} END AS from_callback,
                   CASE WHEN t.{{tx.reference}} IS NOT NULL THEN {{check.received_from_column}} END AS from_column
              FROM {{tx.table}} t
            OFFSET 0) r
     GROUP BY 1, 2, 3
    """#

    /// A paid top-up's place around the window: `before` (the day before since), `after` (the
    /// day after until), its UTC day inside the window, or NULL for any other row (of the
    /// per-row values `r` above).
    static let windowDay = #"""
    CASE WHEN r.type = {{$topup_type}} AND r.has_reference
              AND r.paid_at >= {{$since}}::timestamptz - interval '1 day'
              AND r.paid_at < {{$until}}::timestamptz + interval '1 day'
         THEN CASE WHEN r.paid_at < {{$since}}::timestamptz THEN 'before'
                   WHEN r.paid_at >= {{$until}}::timestamptz THEN 'after'
                   ELSE to_char(r.paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') END
    END
    """#

    /// For a job without a window (no since, until and paid_at parameters).
    static let noWindowDay = "NULL::text"

    /// The callback's amount_received field as a number (NULL when absent or not a plain
    /// number, as detect reads it), apart from the column; the field's name is bound as detect binds it.
    static func receivedFromCallback(callback: SQLIdentifier?) -> String {
        guard let callback else { return "NULL::numeric" }
        let raw = "(t.\(callback.sql) ->> {{$amount_received_field}})"
        return "(CASE WHEN \(raw) ~ '^-?[0-9]{1,15}([.][0-9]{1,2})?$' THEN \(raw)::numeric END)"
    }

    static func receivedFromColumn(_ column: SQLIdentifier?) -> String {
        column.map { "t.\($0.sql)" } ?? "NULL::numeric"
    }

    static let noPaidAt = "NULL::timestamptz"
}
