/// What remedy reads from PostgreSQL's catalogs about the shop's tables. Values are bound;
/// table names go in as text in their quoted form (`"Shop"."Users"`, SQLIdentifier.sql) and are
/// resolved by `to_regclass`, never spliced: unquoted, `to_regclass` would fold them to lowercase
/// and find another table, or none. Column names are compared exactly.
enum CatalogSQL {
    /// The table as `regclass` prints it (schema-qualified only when not on the search path).
    static let regclassText = "SELECT to_regclass($1)::text"

    /// The type of a column as `regtype` prints it (quoted where needed), and whether it exists.
    static let columnType = #"""
    SELECT a.atttypid::regtype::text
      FROM pg_attribute a
     WHERE a.attrelid = to_regclass($1) AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
    """#

    /// Every user trigger on the given tables, with its definition and its function's source:
    /// evidence of how balances moved, recorded in the plan.
    static let triggers = #"""
    SELECT c.oid::regclass::text AS table_name,
           t.tgname,
           pg_get_triggerdef(t.oid) AS definition,
           pg_get_functiondef(t.tgfoid) AS function_source,
           t.tgenabled <> 'D' AS enabled
      FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid
     WHERE t.tgrelid IN (to_regclass($1), to_regclass($2))
       AND NOT t.tgisinternal
     ORDER BY 1, 2
    """#

    /// CHECK constraints that involve the balance column (they may forbid a negative balance).
    static let balanceChecks = #"""
    SELECT con.conname, pg_get_constraintdef(con.oid)
      FROM pg_constraint con
     WHERE con.conrelid = to_regclass($1)
       AND con.contype = 'c'
       AND EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = con.conrelid AND a.attname = $2 AND a.attnum = ANY(con.conkey))
     ORDER BY 1
    """#

    static let jitOff = "SET LOCAL jit = off"
    /// work_mem for the rest of the transaction ($1 like '256MB'): SET takes no parameters, set_config does.
    static let localWorkMemory = "SELECT set_config('work_mem', $1, true)"
    static let snapshotTime = "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
}
