/// What remedy reads from PostgreSQL's catalogs about the shop's tables. Values are bound;
/// table names go in as text in their quoted form (`"Shop"."Users"`, SQLIdentifier.sql) and are
/// resolved by `to_regclass`, never spliced: unquoted, `to_regclass` would fold them to lowercase
/// and find another table, or none. Column names are compared exactly.
enum CatalogSQL {
    /// The table as `regclass` prints it (schema-qualified only when not on the search path).
    static let regclassText = "SELECT to_regclass($1)::text"

    /// Whether $1 is a time zone name PostgreSQL knows (as `AT TIME ZONE` takes it).
    static let timeZoneKnown = "SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1)"

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

    /// Whether a table's rows can be found by one column ($2) through an index, as apply's lock
    /// and recheck find a batch's users: the table's kind, its leaves (the table itself, or a
    /// partitioned table's leaf partitions), the bytes of their heaps (what a full read costs),
    /// how many leaves have a valid, non-partial btree or hash index whose first column is $2,
    /// and one such index's name (a partitioned table's own, which its partitions' are made from,
    /// when it has one). Then how many leaves have such an index that is a btree holding every
    /// column named in $3 (a key or an INCLUDE column), which a query reading only those columns
    /// can read alone, and one such index's name. A view or a foreign table has no leaves: what is
    /// behind it is not seen. (A partial index is not counted: whether its predicate covers every
    /// row the recheck reads is not decided here. Index-only reads also need the table's pages
    /// marked all-visible, which vacuum does.)
    static let perUserIndex = #"""
    WITH rel AS (
        SELECT c.oid, c.relkind FROM pg_class c WHERE c.oid = to_regclass($1)
    ),
    leaf AS (
        SELECT rel.oid AS relid FROM rel WHERE rel.relkind IN ('r', 'm')
        UNION ALL
        SELECT p.relid FROM rel, pg_partition_tree(rel.oid) p WHERE rel.relkind = 'p' AND p.isleaf
    ),
    usable AS (
        SELECT l.relid, i.indexrelid, am.amname, i.indkey
          FROM leaf l
          JOIN pg_attribute a ON a.attrelid = l.relid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
          JOIN pg_index i ON i.indrelid = l.relid AND i.indkey[0] = a.attnum
          JOIN pg_class ic ON ic.oid = i.indexrelid
          JOIN pg_am am ON am.oid = ic.relam
         WHERE i.indisvalid AND i.indisready AND i.indpred IS NULL AND am.amname IN ('btree', 'hash')
    ),
    covering AS (
        SELECT u.relid, u.indexrelid
          FROM usable u
         WHERE u.amname = 'btree'
           AND (SELECT count(*) FROM pg_attribute a
                 WHERE a.attrelid = u.relid AND a.attname = ANY($3::text[]) AND a.attnum > 0 AND NOT a.attisdropped
                   AND a.attnum = ANY(u.indkey::int2[])) = cardinality($3::text[])
    )
    SELECT rel.relkind::text,
           (SELECT count(*) FROM leaf)::bigint,
           (SELECT COALESCE(sum(pg_relation_size(l.relid)), 0) FROM leaf l)::bigint,
           (SELECT count(DISTINCT u.relid) FROM usable u)::bigint,
           COALESCE((SELECT min(i.indexrelid::regclass::text)
                       FROM pg_index i
                       JOIN pg_attribute a ON a.attrelid = rel.oid AND a.attnum = i.indkey[0] AND a.attname = $2
                      WHERE rel.relkind = 'p' AND i.indrelid = rel.oid AND i.indpred IS NULL),
                    (SELECT min(u.indexrelid::regclass::text) FROM usable u)),
           (SELECT count(DISTINCT c.relid) FROM covering c)::bigint,
           (SELECT min(c.indexrelid::regclass::text) FROM covering c)
      FROM rel
    """#

    static let jitOff = "SET LOCAL jit = off"
    /// work_mem for the rest of the transaction ($1 like '256MB'): SET takes no parameters, set_config does.
    static let localWorkMemory = "SELECT set_config('work_mem', $1, true)"
    /// statement_timeout for the rest of the transaction ($1 in milliseconds), whatever the role's.
    static let localStatementTimeout = "SELECT set_config('statement_timeout', $1::int || 'ms', true)"
    static let snapshotTime = "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
}
