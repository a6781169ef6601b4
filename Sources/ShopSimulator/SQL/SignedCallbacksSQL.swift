/// The DDL and updates of `SignedCallbacks`: run on the loaded shop (tables still in public), in
/// one transaction, with the shop's triggers off (this is the handler's log, not shop activity).
enum SignedCallbacksSQL {
    static let addColumns = #"""
    ALTER TABLE public.transactions
        ADD COLUMN tripay_callback_raw text,
        ADD COLUMN tripay_callback_signature text;
    ALTER TABLE public.transactions DISABLE TRIGGER USER;
    CREATE TABLE simulator.tampered_callbacks (
        reference  text PRIMARY KEY,
        user_id    uuid NOT NULL,
        how        text NOT NULL CHECK (how IN ('forged', 'altered', 'unsigned'))
    );
    COMMENT ON TABLE simulator.tampered_callbacks IS 'Stored callbacks the simulator forged, altered or left unsigned after the load.';
    """#

    static let enableTriggers = "ALTER TABLE public.transactions ENABLE TRIGGER USER"

    /// The body as Tripay sent it: compact JSON in Tripay's field order (what PHP's json_encode
    /// writes), from the stored jsonb where the handler kept it, else from the columns.
    static let storeRawBodies = #"""
    UPDATE public.transactions t SET tripay_callback_raw = concat(
        '{"reference":', to_json(c.body ->> 'reference'),
        ',"merchant_ref":', to_json(c.body ->> 'merchant_ref'),
        ',"payment_method":', to_json(c.body ->> 'payment_method'),
        ',"payment_method_code":', to_json(c.body ->> 'payment_method_code'),
        ',"total_amount":', c.body -> 'total_amount',
        ',"fee_merchant":', c.body -> 'fee_merchant',
        ',"fee_customer":', c.body -> 'fee_customer',
        ',"total_fee":', c.body -> 'total_fee',
        ',"amount_received":', c.body -> 'amount_received',
        ',"is_closed_payment":1,"status":', to_json(c.body ->> 'status'),
        ',"paid_at":', c.body -> 'paid_at',
        ',"note":null}')
    FROM (SELECT id, COALESCE(tripay_callback_data, jsonb_build_object(
                     'reference', tripay_reference, 'merchant_ref', tripay_merchant_ref,
                     'payment_method', tripay_payment_method, 'payment_method_code', tripay_payment_method,
                     'total_amount', tripay_total_amount::bigint, 'fee_merchant', tripay_fee::bigint, 'fee_customer', 0,
                     'total_fee', tripay_fee::bigint, 'amount_received', tripay_amount::bigint,
                     'status', tripay_status, 'paid_at', extract(epoch FROM tripay_paid_at)::bigint)) AS body
            FROM public.transactions
           WHERE tripay_reference IS NOT NULL AND tripay_status IS NOT NULL) c
    WHERE t.id = c.id
    """#

    /// X-Callback-Signature: HMAC-SHA256 of the body, lowercase hex, from SHA-256 alone
    /// (H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ body))). $1: K ⊕ ipad, $2: K ⊕ opad (64 bytes each).
    static let signBodies = #"""
    UPDATE public.transactions
       SET tripay_callback_signature = encode(sha256($2::bytea || sha256($1::bytea || convert_to(tripay_callback_raw, 'UTF8'))), 'hex')
     WHERE tripay_callback_raw IS NOT NULL
    """#

    /// Picks one paid bug-window top-up each of the first users (by reference) whose story is a
    /// plain double credit: $1 forged, then $2 altered, then $3 unsigned.
    static let pickTampered = #"""
    INSERT INTO simulator.tampered_callbacks (reference, user_id, how)
    SELECT reference, user_id,
           CASE WHEN n <= $1 THEN 'forged' WHEN n <= $1 + $2 THEN 'altered' ELSE 'unsigned' END
      FROM (SELECT p.*, row_number() OVER (ORDER BY p.reference) AS n
              FROM (SELECT DISTINCT ON (t.user_id) t.user_id, t.tripay_reference AS reference
                      FROM public.transactions t
                      JOIN simulator.truth s ON s.user_id = t.user_id
                      CROSS JOIN simulator.runs r
                     WHERE s.category = 'double_credit' AND t.transaction_type = 'topup' AND t.status = 'completed'
                       AND t.tripay_paid_at >= r.bug_window_start AND t.tripay_paid_at < r.bug_window_end
                       AND t.tripay_callback_raw IS NOT NULL
                     ORDER BY t.user_id, t.tripay_reference) p) q
     WHERE n <= $1 + $2 + $3
    """#

    /// Forged: a signature made without the merchant's key. Altered: amount_received raised in
    /// the stored body (a 1 put in front of it) after Tripay signed it. Unsigned: no signature kept.
    static let tamper = #"""
    UPDATE public.transactions t SET
        tripay_callback_signature = CASE m.how
            WHEN 'forged' THEN encode(sha256(convert_to('forged:' || t.tripay_callback_raw, 'UTF8')), 'hex')
            WHEN 'unsigned' THEN NULL
            ELSE t.tripay_callback_signature END,
        tripay_callback_raw = CASE m.how
            WHEN 'altered' THEN replace(t.tripay_callback_raw, '"amount_received":', '"amount_received":1')
            ELSE t.tripay_callback_raw END
    FROM simulator.tampered_callbacks m
    WHERE t.tripay_reference = m.reference
    """#
}
