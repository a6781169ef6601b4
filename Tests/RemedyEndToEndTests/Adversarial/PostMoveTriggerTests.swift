import Foundation
import Testing

/// Issue 10, item 11: apply checks that each balance moved by exactly the approved delta. It read
/// the balance from `UPDATE … RETURNING`, which shows the row before AFTER triggers run: a trigger
/// on users that moves the balance again went unseen, and apply booked a movement that was not
/// the one made. The balances are now read again after the update, in the batch's transaction.
@Suite("Adversarial: an AFTER UPDATE trigger on users that moves the balance again")
struct PostMoveTriggerTests {
    @Test func aTriggerThatMovesTheBalanceAgainRollsTheBatchBack() throws {
        let shop = try EndToEndShop(users: 120, seed: 1011)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        #expect(try !shop.readPlan(bundle).adjustments.isEmpty, "the plan should correct someone")

        // Someone with DDL on the shop adds a trigger that skims one rupiah more on every change
        // of a balance (only at the top level: its own update must not re-fire it).
        try shop.connection.executeScript("""
            CREATE FUNCTION public.postmove_skim() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE public.users SET balance = balance + 1 WHERE id = NEW.id;
                RETURN NULL;
            END $$;
            CREATE TRIGGER postmove_skim AFTER UPDATE OF balance ON public.users
                FOR EACH ROW WHEN (pg_trigger_depth() = 0 AND OLD.balance IS DISTINCT FROM NEW.balance)
                EXECUTE FUNCTION public.postmove_skim();
            """)

        let before = try DatabaseFingerprint.take(shop)
        let run = try shop.apply(bundle)
        try expectOneErrorLine(run, mentioning: ["balance of user", "something else changes balances", "rolled back"])

        // Nothing booked, nothing moved: only the attempt itself is on record (its run row and
        // its apply.started audit row).
        let changes = try DatabaseFingerprint.take(shop).differences(from: before)
        #expect(changes == ["remedy.audit_log: \(before.rowCounts["remedy.audit_log"]!) rows → \(before.rowCounts["remedy.audit_log"]! + 1)",
                            "remedy.runs: \(before.rowCounts["remedy.runs"]!) rows → \(before.rowCounts["remedy.runs"]! + 1)"],
                "only the run's start may be recorded: \(changes)")
        let lastAction = try shop.connection.query("SELECT action FROM remedy.audit_log ORDER BY seq DESC LIMIT 1")[0].decode(0, as: String.self)
        #expect(lastAction == "apply.started")
        #expect(try shop.remedy(["audit", "verify"]).exitedZero)

        // Without the trigger the same plan applies: the refusal was the trigger's doing.
        _ = try shop.connection.execute("DROP TRIGGER postmove_skim ON public.users")
        let applied = try shop.apply(bundle)
        #expect(applied.exitedZero, "\(applied)")
        #expect(try shop.remedy(["verify", bundle, "--jobs", shop.jobs]).exitedZero)
    }
}
