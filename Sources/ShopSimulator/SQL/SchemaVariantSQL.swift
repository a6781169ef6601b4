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
