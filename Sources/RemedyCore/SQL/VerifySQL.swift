enum RevertSQL {
    /// The corrections a plan's runs booked for these idempotency keys: each discovered entry as
    /// signed (BookSignature.requireSignedEntries reads columns 0–10), then any receivable still open.
    /// What a revert line must put back (balance before − after) and settle.
    static let bookedCorrections = #"""
    SELECT e.idempotency_key, e.kind, e.job, e.plan_digest, e.run_id::text, e.user_id, e.amount::text,
           e.balance_before::text, e.balance_after::text, e.signer, e.signature,
           COALESCE((SELECT r.amount FROM remedy.open_receivables r WHERE r.idempotency_key = e.idempotency_key), 0)::text
      FROM remedy.entries e
     WHERE e.plan_digest = $1 AND e.kind = 'discovered' AND e.idempotency_key = ANY($2::text[])
     ORDER BY e.user_id
    """#
    /// A revert settles the receivable its correction opened: a new row naming the revert line
    /// (receivables are never edited), of the amount the line settles (apply's preflight held it to
    /// the open amount), signed by the operator. One settlement per receivable, by its unique key.
    static let settleReceivables = #"""
    INSERT INTO remedy.receivable_settlements (receivable_key, revert_key, plan_digest, run_id, amount, signer, signature)
    SELECT r.idempotency_key, x.revert_key, $3, $4::uuid, x.amount, $5, x.signature
      FROM unnest($1::text[], $2::text[], $6::numeric[], $7::text[]) AS x(receivable_key, revert_key, amount, signature)
      JOIN remedy.open_receivables r ON r.idempotency_key = x.receivable_key
    """#
}
