/// The seeds' reconciliation (balance vs. ledger), set-based, as one summary row.
enum ReconcileSQL {
    static let summary = #"""
    WITH ledger AS (
        SELECT t.{{tx.user}} AS user_id, sum({{expr.ledger_amount}}) AS ledger
          FROM {{tx.table}} t
         WHERE {{expr.in_ledger}}
         GROUP BY t.{{tx.user}}
    ),
    drift AS (
        SELECT u.{{users.balance}} - COALESCE(l.ledger, 0) AS drift
          FROM {{users.table}} u LEFT JOIN ledger l ON l.user_id = u.{{users.id}}
    )
    SELECT count(*) FILTER (WHERE drift = 0),
           count(*) FILTER (WHERE drift <> 0),
           COALESCE(sum(drift) FILTER (WHERE drift > 0), 0)::text,
           COALESCE(sum(drift) FILTER (WHERE drift < 0), 0)::text
      FROM drift
    """#
}
