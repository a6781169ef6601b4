/// `trigger_auto_update_balance` / `auto_update_user_balance()`: the single source of truth for
/// balances. Topups and refunds add `amount`, purchases subtract it, warranty claims do nothing.
enum BalanceTriggerSQL {
    static func function(_ variant: TriggerVariant) -> String {
        switch variant {
        case .guarded: guarded
        case .refiring: refiring
        }
    }

    /// The shop's published version: once on the transition into `completed`, reversed when a row
    /// leaves `completed`.
    static let guarded = #"""
    CREATE OR REPLACE FUNCTION public.auto_update_user_balance() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status = 'completed' AND (TG_OP = 'INSERT' OR OLD.status <> 'completed') THEN
            IF NEW.transaction_type IN ('topup', 'refund') THEN
                UPDATE public.users SET balance = balance + NEW.amount WHERE id = NEW.user_id;
            ELSIF NEW.transaction_type = 'purchase' THEN
                UPDATE public.users SET balance = balance - NEW.amount WHERE id = NEW.user_id;
            END IF;
        ELSIF TG_OP = 'UPDATE' AND OLD.status = 'completed' AND NEW.status <> 'completed' THEN
            IF OLD.transaction_type IN ('topup', 'refund') THEN
                UPDATE public.users SET balance = balance - OLD.amount WHERE id = OLD.user_id;
            ELSIF OLD.transaction_type = 'purchase' THEN
                UPDATE public.users SET balance = balance + OLD.amount WHERE id = OLD.user_id;
            END IF;
        END IF;
        RETURN NEW;
    END;
    $$;
    """#

    /// The seeds' simplified body: fires on every insert or update of a completed row.
    static let refiring = #"""
    CREATE OR REPLACE FUNCTION public.auto_update_user_balance() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.status = 'completed' THEN
            IF NEW.transaction_type = 'topup' OR NEW.transaction_type = 'refund' THEN
                UPDATE public.users SET balance = balance + NEW.amount WHERE id = NEW.user_id;
            ELSIF NEW.transaction_type = 'purchase' THEN
                UPDATE public.users SET balance = balance - NEW.amount WHERE id = NEW.user_id;
            END IF;
        END IF;
        RETURN NEW;
    END;
    $$;
    """#

    static let trigger = #"""
    CREATE TRIGGER trigger_auto_update_balance
        AFTER INSERT OR UPDATE ON public.transactions
        FOR EACH ROW EXECUTE FUNCTION public.auto_update_user_balance();
    """#
}
