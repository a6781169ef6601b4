/// The DDL of `SchemaVariant`: run on the loaded shop, in one transaction. Names are validated
/// by `SchemaVariant.validate` and quoted here.
enum SchemaVariantSQL {
    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    /// Tables (with their constraints, indexes, policies and triggers) and the trigger functions
    /// move to `schema`.
    static func moveTables(to schema: String) -> String {
        """
        CREATE SCHEMA \(schema);
        ALTER TABLE public.users SET SCHEMA \(schema);
        ALTER TABLE public.transactions SET SCHEMA \(schema);
        ALTER FUNCTION public.auto_update_user_balance() SET SCHEMA \(schema);
        ALTER FUNCTION public.update_updated_at_column() SET SCHEMA \(schema);
        """
    }

    /// The balance trigger's body names its users table: the same body, for the moved table.
    static func balanceFunction(_ variant: TriggerVariant, schema: String) -> String {
        BalanceTriggerSQL.function(variant).replacingOccurrences(of: "public.", with: "\(schema).")
    }

    /// Only the top-up callback writes completed_at: every other row loses it (the balance
    /// trigger is off meanwhile: this edit is not shop activity).
    static func dropPurchaseCompletedAt(_ schema: String) -> String {
        """
        ALTER TABLE \(schema).transactions DISABLE TRIGGER trigger_auto_update_balance;
        UPDATE \(schema).transactions SET completed_at = NULL
         WHERE transaction_type <> 'topup' OR tripay_reference IS NULL;
        ALTER TABLE \(schema).transactions ENABLE TRIGGER trigger_auto_update_balance;
        """
    }

    /// transactions becomes a table partitioned by month of created_at, as large shops keep it:
    /// its keys must then hold the partition key (primary key (id, created_at), the reference
    /// unique with created_at), and the user index, foreign key, balance trigger and policy are
    /// made on the partitioned table, which gives them to every partition. A default partition
    /// takes rows outside the months loaded (live traffic in tests). The rows are copied with no
    /// trigger on the new table: balances stay as the history left them.
    static func partitionTransactions(_ schema: String) -> String {
        let literal = "'" + schema.replacingOccurrences(of: "'", with: "''") + "'"
        return """
        ALTER TABLE \(schema).transactions RENAME TO transactions_unpartitioned;
        CREATE TABLE \(schema).transactions (LIKE \(schema).transactions_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
            PARTITION BY RANGE (created_at);
        DO $partitions$
        DECLARE
            month timestamptz;
        BEGIN
            FOR month IN SELECT generate_series(date_trunc('month', min(created_at), 'UTC'), date_trunc('month', max(created_at), 'UTC'), interval '1 month')
                           FROM \(schema).transactions_unpartitioned LOOP
                EXECUTE format('CREATE TABLE %s.%I PARTITION OF %s.transactions FOR VALUES FROM (%L) TO (%L)',
                               \(literal), 'transactions_' || to_char(month AT TIME ZONE 'UTC', 'YYYY_MM'), \(literal),
                               month, month + interval '1 month');
            END LOOP;
        END
        $partitions$;
        CREATE TABLE \(schema).transactions_default PARTITION OF \(schema).transactions DEFAULT;
        INSERT INTO \(schema).transactions SELECT * FROM \(schema).transactions_unpartitioned;
        DROP TABLE \(schema).transactions_unpartitioned;
        ALTER TABLE \(schema).transactions ADD PRIMARY KEY (id, created_at);
        ALTER TABLE \(schema).transactions ADD CONSTRAINT transactions_tripay_reference_key UNIQUE (tripay_reference, created_at);
        CREATE INDEX idx_transactions_user_id ON \(schema).transactions (user_id);
        ALTER TABLE \(schema).transactions
            ADD CONSTRAINT transactions_user_id_fkey FOREIGN KEY (user_id) REFERENCES \(schema).users (id) ON DELETE CASCADE;
        CREATE TRIGGER trigger_auto_update_balance AFTER INSERT OR UPDATE ON \(schema).transactions
            FOR EACH ROW EXECUTE FUNCTION \(schema).auto_update_user_balance();
        ALTER TABLE \(schema).transactions ENABLE ROW LEVEL SECURITY;
        CREATE POLICY transactions_select_own ON \(schema).transactions FOR SELECT
            USING (user_id::text = current_setting('request.jwt.claim.sub', true));
        """
    }

    static func narrowBalance(_ schema: String) -> String {
        "ALTER TABLE \(schema).users ALTER COLUMN balance TYPE numeric(10,2);"
    }

    /// Supabase: the shop's users are rows of `auth.users` first.
    static func authUsers(_ schema: String) -> String {
        """
        CREATE SCHEMA auth;
        CREATE TABLE auth.users (
            id          uuid PRIMARY KEY,
            email       text,
            created_at  timestamptz NOT NULL DEFAULT now()
        );
        INSERT INTO auth.users (id, email, created_at) SELECT id, email, created_at FROM \(schema).users;
        ALTER TABLE \(schema).users
            ADD CONSTRAINT users_id_auth_fkey FOREIGN KEY (id) REFERENCES auth.users (id) ON DELETE CASCADE;
        """
    }

    /// A BEFORE UPDATE trigger recording each balance change: fires on remedy's corrections too.
    static func balanceHistory(_ schema: String) -> String {
        """
        CREATE TABLE \(schema).balance_history (
            id           bigserial PRIMARY KEY,
            user_id      uuid NOT NULL,
            old_balance  numeric(15,2),
            new_balance  numeric(15,2),
            changed_at   timestamptz NOT NULL DEFAULT now()
        );
        CREATE FUNCTION \(schema).record_balance_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.balance IS DISTINCT FROM OLD.balance THEN
                INSERT INTO \(schema).balance_history (user_id, old_balance, new_balance)
                VALUES (NEW.id, OLD.balance, NEW.balance);
            END IF;
            RETURN NEW;
        END;
        $$;
        CREATE TRIGGER users_balance_history
            BEFORE UPDATE ON \(schema).users
            FOR EACH ROW EXECUTE FUNCTION \(schema).record_balance_change();
        """
    }

    /// Row-level security binds the tables' owner too; a role of its own reads around it with
    /// BYPASSRLS and has exactly what remedy needs: read both tables, update balances, create
    /// its own schema.
    static func rowSecurityReader(_ schema: String, role: String, balanceHistory: Bool) -> String {
        var sql = """
        ALTER TABLE \(schema).users FORCE ROW LEVEL SECURITY;
        ALTER TABLE \(schema).transactions FORCE ROW LEVEL SECURITY;
        CREATE ROLE \(role) LOGIN BYPASSRLS;
        GRANT USAGE ON SCHEMA \(schema) TO \(role);
        GRANT SELECT ON \(schema).users, \(schema).transactions TO \(role);
        GRANT UPDATE (balance, updated_at) ON \(schema).users TO \(role);
        DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO \(role)', current_database()); END $$;
        """
        if balanceHistory {
            sql += """

            GRANT INSERT ON \(schema).balance_history TO \(role);
            GRANT USAGE ON SEQUENCE \(schema).balance_history_id_seq TO \(role);
            """
        }
        return sql
    }
}
