/// Makes a simulated shop one that never indexed its transactions' user column, with a table past
/// `PerUserLookup.fullReadBytesLimit` (about 40 MB): rows outside the ledger and the window
/// (expired top-ups without a reference, in 2020), inserted with the shop's balance trigger kept
/// out.
public enum UnindexedShopSQL {
    public static let dropIndexAndGrow = """
        DROP INDEX public.idx_transactions_user_id;
        SET session_replication_role = replica;
        INSERT INTO public.transactions (user_id, transaction_type, amount, status, product_name, created_at)
        SELECT (SELECT id FROM public.users ORDER BY id LIMIT 1), 'topup', 10000, 'expired', repeat('x', 1800),
               timestamptz '2020-01-01 00:00:00+00' + g * interval '1 minute'
          FROM generate_series(1, 20000) g;
        RESET session_replication_role;
        """
}
