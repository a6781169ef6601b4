/// What `remedy check` (and `remedy plan`, before it reads) asks the database about a job's
/// mapping: catalog facts with bound table and column names, and a few set-based looks at the
/// data, templated like detect.sql (`{{…}}` tokens from the job's spec, values always bound).
/// Every statement is read-only; the caller runs them in one READ ONLY transaction.
enum CheckSQL {
    /// A mapped table: its name as PostgreSQL prints it, row-level security, and what the
    /// connected role may do with it. $1: the table's quoted name.
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

    /// One pass over the transactions: on the rows each mapped column is used for, how many
    /// there are and how many have it NULL; and where amount_received comes from.
    /// A paid Tripay top-up here is a completed top-up with a reference.
    static let columnUse = #"""
    SELECT count(*) FILTER (WHERE t.{{tx.type}} = {{$purchase_type}} AND t.{{tx.status}} = {{$completed_status}}),
           count(*) FILTER (WHERE t.{{tx.type}} = {{$purchase_type}} AND t.{{tx.status}} = {{$completed_status}}
                              AND {{expr.completed_at}} IS NULL),
           count(*) FILTER (WHERE t.{{tx.type}} = {{$purchase_type}}),
           count(*) FILTER (WHERE t.{{tx.type}} = {{$purchase_type}} AND {{expr.created_at}} IS NULL),
           count(*) FILTER (WHERE t.{{tx.type}} = {{$topup_type}} AND t.{{tx.status}} = {{$completed_status}}
                              AND t.{{tx.reference}} IS NOT NULL),
           count(*) FILTER (WHERE t.{{tx.type}} = {{$topup_type}} AND t.{{tx.status}} = {{$completed_status}}
                              AND t.{{tx.reference}} IS NOT NULL AND {{expr.paid_at}} IS NULL),
           count(*) FILTER (WHERE t.{{tx.type}} = {{$topup_type}} AND t.{{tx.status}} = {{$completed_status}}
                              AND t.{{tx.reference}} IS NOT NULL AND {{expr.amount_received}} IS NULL),
           count(*) FILTER (WHERE t.{{tx.type}} = {{$topup_type}} AND t.{{tx.status}} = {{$completed_status}}
                              AND t.{{tx.reference}} IS NOT NULL AND {{check.received_from_callback}} IS NOT NULL),
           count(*) FILTER (WHERE t.{{tx.type}} = {{$topup_type}} AND t.{{tx.status}} = {{$completed_status}}
                              AND t.{{tx.reference}} IS NOT NULL AND {{check.received_from_callback}} IS NULL
                              AND {{check.received_from_column}} IS NOT NULL),
           count(*) FILTER (WHERE t.{{tx.type}} = {{$topup_type}} AND t.{{tx.status}} = {{$completed_status}}
                              AND t.{{tx.reference}} IS NOT NULL
                              AND {{check.received_from_callback}} <> {{check.received_from_column}}),
           count(*) FILTER (WHERE t.{{tx.user}} IS NULL OR t.{{tx.type}} IS NULL OR t.{{tx.status}} IS NULL
                              OR t.{{tx.amount}} IS NULL)
      FROM {{tx.table}} t
    """#

    /// Every (type, status) with its rows and their sum, for what the ledger map leaves out.
    static let typesAndStatuses = #"""
    SELECT t.{{tx.type}}::text, t.{{tx.status}}::text, count(*)::bigint, round(COALESCE(sum(t.{{tx.amount}}), 0), 2)::text
      FROM {{tx.table}} t
     GROUP BY 1, 2
     ORDER BY 1 NULLS FIRST, 2 NULLS FIRST
    """#

    /// Paid top-ups (a top-up with a reference and a paid-at) in the window, by UTC day, and in
    /// the day before it and the day after it.
    static let window = #"""
    WITH paid AS (
        SELECT {{expr.paid_at}} AS paid_at
          FROM {{tx.table}} t
         WHERE t.{{tx.type}} = {{$topup_type}}
           AND t.{{tx.reference}} IS NOT NULL
           AND {{expr.paid_at}} >= {{$since}}::timestamptz - interval '1 day'
           AND {{expr.paid_at}} < {{$until}}::timestamptz + interval '1 day'
    )
    SELECT CASE WHEN p.paid_at < {{$since}}::timestamptz THEN 'before'
                WHEN p.paid_at >= {{$until}}::timestamptz THEN 'after'
                ELSE to_char(p.paid_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') END AS day,
           count(*)::bigint
      FROM paid p
     GROUP BY 1
     ORDER BY 1
    """#

    /// The callback's amount_received field as a number (NULL when absent or not a plain
    /// number), apart from the column; the field's name is bound as detect binds it.
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
