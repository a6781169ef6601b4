/// The shop's tables as a real deployment has them (Supabase, PostgreSQL): more columns than the
/// write-ups show, CHECK constraints, a `BEFORE UPDATE` trigger for `updated_at`, row-level
/// security. Constraints that only slow a bulk load down (the foreign key, the unique Tripay
/// reference, the index on `user_id`) are added after the load by `ShopIndexesSQL`.
enum ShopSchemaSQL {
    static let tables = #"""
    CREATE EXTENSION IF NOT EXISTS pgcrypto;

    CREATE TABLE public.users (
        id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username    text NOT NULL UNIQUE,
        email       text,
        full_name   text,
        role        text DEFAULT 'member',
        balance     numeric(15,2) NOT NULL DEFAULT 0,
        created_at  timestamptz DEFAULT now(),
        updated_at  timestamptz DEFAULT now()
    );

    CREATE OR REPLACE FUNCTION public.update_updated_at_column() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.updated_at = now();
        RETURN NEW;
    END;
    $$;

    CREATE TRIGGER update_users_updated_at
        BEFORE UPDATE ON public.users
        FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

    CREATE TABLE public.transactions (
        id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id                uuid NOT NULL,
        transaction_type       text NOT NULL
            CONSTRAINT transactions_transaction_type_check
            CHECK (transaction_type IN ('topup', 'purchase', 'refund', 'warranty_claim')),
        amount                 numeric(15,2) NOT NULL,
        status                 text NOT NULL DEFAULT 'pending'
            CONSTRAINT transactions_status_check
            CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled', 'refunded', 'expired')),
        product_name           text,
        tripay_reference       text,
        tripay_merchant_ref    text,
        tripay_payment_method  text,
        tripay_status          text,
        tripay_amount          numeric(15,2),
        tripay_fee             numeric(15,2),
        tripay_total_amount    numeric(15,2),
        tripay_paid_at         timestamptz,
        tripay_callback_data   jsonb,
        completed_at           timestamptz,
        created_at             timestamptz NOT NULL DEFAULT now(),
        updated_at             timestamptz DEFAULT now()
    );

    -- Supabase style: members read their own rows through the API. The tables' owner (and the
    -- runner connecting as the owner or a superuser) is not subject to these policies.
    ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
    ALTER TABLE public.transactions ENABLE ROW LEVEL SECURITY;
    CREATE POLICY users_select_own ON public.users FOR SELECT
        USING (id::text = current_setting('request.jwt.claim.sub', true));
    CREATE POLICY transactions_select_own ON public.transactions FOR SELECT
        USING (user_id::text = current_setting('request.jwt.claim.sub', true));
    """#

    /// How many of the tables the simulator creates exist already (it refuses to load over them).
    static let existingTables = #"""
    SELECT count(*)::int FROM pg_catalog.pg_tables
    WHERE (schemaname = 'public' AND tablename IN ('users', 'transactions'))
       OR schemaname = 'simulator'
    """#
}
