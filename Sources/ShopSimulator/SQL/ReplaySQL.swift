/// The history replayed in rounds: round n applies every user's n-th event, one set-based
/// statement per event kind, in the way production's code wrote it. `$1` is the round.
/// The balance trigger does all the crediting and debiting of transactions.
///
/// Rows are visited in `tx_id` (or `user_id`) order: the keys are random UUIDs, and walking the
/// primary-key index in order touches each of its pages once per round instead of at random,
/// which is what keeps a 10-million-row load fast when the index is larger than the buffer cache.
enum ReplaySQL {
    /// The users, with a zero balance (the history starts from nothing).
    static let insertUsers = #"""
    INSERT INTO public.users (id, username, email, full_name, role, balance, created_at, updated_at)
    SELECT id, username, email, full_name, role, 0, to_timestamp(created_at), to_timestamp(created_at)
    FROM simulator_stage.users
    """#

    /// New rows ($2: kind 1, or kind 2 while the balance trigger is disabled).
    static let insertTransactions = #"""
    INSERT INTO public.transactions
        (id, user_id, transaction_type, amount, status, product_name, tripay_reference, tripay_merchant_ref,
         tripay_payment_method, tripay_status, completed_at, created_at, updated_at)
    SELECT e.tx_id, e.user_id, e.transaction_type, e.amount, e.status, e.product_name, e.reference, e.merchant_ref,
           e.method_code, e.tripay_status, to_timestamp(e.completed_at), to_timestamp(e.at), to_timestamp(e.at)
    FROM simulator_stage.events e
    WHERE e.round = $1 AND e.kind = $2
    ORDER BY e.tx_id
    """#

    /// A back-fill script that ran with the balance trigger switched off.
    static let disableBalanceTrigger = "ALTER TABLE public.transactions DISABLE TRIGGER trigger_auto_update_balance"
    static let enableBalanceTrigger = "ALTER TABLE public.transactions ENABLE TRIGGER trigger_auto_update_balance"

    /// The callback handler's transaction update (`api/tripay-callback.ts`): status and the
    /// callback's numbers; the trigger credits `amount` when the row becomes completed.
    static let applyCallbacks = #"""
    UPDATE public.transactions t SET
        status               = e.status,
        tripay_status        = e.tripay_status,
        tripay_amount        = e.amount_received,
        tripay_fee           = e.total_fee,
        tripay_total_amount  = e.stored_total,
        tripay_paid_at       = to_timestamp(e.paid_at),
        tripay_callback_data = CASE WHEN e.keep_callback THEN jsonb_build_object(
            'reference',           t.tripay_reference,
            'merchant_ref',        t.tripay_merchant_ref,
            'payment_method',      e.method_name,
            'payment_method_code', t.tripay_payment_method,
            'total_amount',        e.total_amount::bigint,
            'fee_merchant',        e.fee_merchant::bigint,
            'fee_customer',        e.fee_customer::bigint,
            'total_fee',           e.total_fee::bigint,
            'amount_received',     e.amount_received::bigint,
            'is_closed_payment',   1,
            'status',              e.tripay_status,
            'paid_at',             e.paid_at,
            'note',                NULL) END,
        completed_at         = CASE WHEN e.status = 'completed' THEN to_timestamp(e.at) ELSE t.completed_at END,
        updated_at           = to_timestamp(e.at)
    FROM (SELECT * FROM simulator_stage.events WHERE round = $1 AND kind = 3 ORDER BY tx_id OFFSET 0) e
    WHERE t.id = e.tx_id
    """#

    /// The buggy handler, after updating the transaction: `select('balance')` — a plain read.
    static let handlerReadsBalance = #"""
    INSERT INTO simulator_stage.handler_reads (user_id, tx_id, read_balance, amount_received)
    SELECT e.user_id, e.tx_id, u.balance, e.amount_received
    FROM simulator_stage.events e
    JOIN public.users u ON u.id = e.user_id
    WHERE e.round = $1 AND e.kind = 3 AND e.handler IN (1, 2)
    ON CONFLICT (user_id) DO UPDATE
        SET tx_id = EXCLUDED.tx_id, read_balance = EXCLUDED.read_balance, amount_received = EXCLUDED.amount_received
    """#

    /// …then `update({ balance: user.balance + amount_received })`: the balance it read, not the
    /// current one. $2: kind 3 with handler 1 (write right after the read) or kind 4 (a write that
    /// comes after a purchase completed in between: that purchase's deduction is lost).
    static let handlerWritesBalance = #"""
    UPDATE public.users u
    SET balance = r.read_balance + r.amount_received, updated_at = to_timestamp(e.at)
    FROM simulator_stage.events e
    JOIN simulator_stage.handler_reads r ON r.user_id = e.user_id
    WHERE e.round = $1 AND e.kind = $2 AND (e.kind = 4 OR e.handler = 1) AND u.id = e.user_id
    """#

    /// A status change by the shop or an admin; the trigger moves the balance as its body says.
    static let changeStatus = #"""
    UPDATE public.transactions t SET
        status        = e.status,
        tripay_status = COALESCE(e.tripay_status, t.tripay_status),
        completed_at  = CASE WHEN e.status = 'completed' THEN to_timestamp(e.completed_at) ELSE t.completed_at END,
        updated_at    = to_timestamp(e.at)
    FROM (SELECT * FROM simulator_stage.events WHERE round = $1 AND kind = 5 ORDER BY tx_id OFFSET 0) e
    WHERE t.id = e.tx_id
    """#

    /// A hand correction as people ran it: `UPDATE users SET balance = X WHERE id = … AND balance = Y`.
    static let compareAndSetBalance = #"""
    UPDATE public.users u SET balance = e.new_balance
    FROM simulator_stage.events e
    WHERE e.round = $1 AND e.kind = 6 AND u.id = e.user_id AND u.balance = e.expected_balance
    """#

    /// Old code moving the balance itself (the purchase controller's own deduction).
    static let adjustBalance = #"""
    UPDATE public.users u SET balance = u.balance + e.delta
    FROM simulator_stage.events e
    WHERE e.round = $1 AND e.kind = 7 AND u.id = e.user_id
    """#
}
