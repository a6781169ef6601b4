enum RevertSQL {
    /// The corrections a plan's runs booked, with the balances they moved and any receivable still open.
    static let appliedCorrections = #"""
    SELECT e.user_id, e.idempotency_key, e.amount::text, e.balance_before::text, e.balance_after::text,
           COALESCE((SELECT r.amount FROM remedy.receivables r
                      WHERE r.idempotency_key = e.idempotency_key AND r.settled_at IS NULL), 0)::text
      FROM remedy.entries e
     WHERE e.plan_digest = $1 AND e.kind = 'discovered'
     ORDER BY e.user_id
    """#
    static let settleReceivables = "UPDATE remedy.receivables SET settled_at = now() WHERE idempotency_key = ANY($1::text[]) AND settled_at IS NULL"
}
