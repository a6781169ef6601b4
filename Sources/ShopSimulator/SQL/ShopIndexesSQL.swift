/// What the shop's schema has beyond the bulk load's needs, added once the rows are in (one
/// pass each instead of one check or index entry per row while loading).
enum ShopIndexesSQL {
    static let afterLoad = #"""
    ALTER TABLE public.transactions
        ADD CONSTRAINT transactions_tripay_reference_key UNIQUE (tripay_reference);
    ALTER TABLE public.transactions
        ADD CONSTRAINT transactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users (id) ON DELETE CASCADE;
    CREATE INDEX idx_transactions_user_id ON public.transactions (user_id);
    """#
}
