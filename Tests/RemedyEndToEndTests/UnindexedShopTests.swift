import Foundation
import Postgres
import RemedyCore
import Testing
import TestSupport

/// A shop that never indexed its transactions' user column (PostgreSQL does not index a foreign
/// key's column by itself): each batch of apply would read the whole table while it holds its
/// users' rows, and their live top-ups would wait that long. check warns, the plan carries the
/// warning to its approvers, apply refuses and changes nothing until the operator accepts it.
@Suite("apply on a shop whose transactions have no index by user")
struct UnindexedShopTests {
    @Test func applyRefusesAWholeTableReadUnderItsLocksUntilTheOperatorAcceptsIt() throws {
        let shop = try EndToEndShop(users: 60, seed: 66)
        try shop.connection.executeScript(UnindexedShopSQL.dropIndexAndGrow)
        let bytes = try shop.connection.query("SELECT pg_relation_size('public.transactions')")[0].decode(0, as: Int64.self)
        try #require(bytes > PerUserLookup.fullReadBytesLimit)
        let megabytes = (bytes + (1 << 19)) >> 20
        let index = #"CREATE INDEX CONCURRENTLY ON "public"."transactions" ("user_id")"#
        let warning = "public.transactions has no index whose first column is user_id (\(megabytes) MB): each batch of apply (and of verify) would read all of it, apply while holding those users' rows locked; apply refuses without --allow-unindexed-recheck. \(index) fixes it without blocking the shop's writes"

        let check = try shop.remedy(["check", "tripay-double-credit"] + shop.windowParameters + ["--jobs", shop.jobs])
        #expect(check.status == 2, "\(check)")
        #expect(check.stdoutLines.contains("  WARNING \(warning)"), "\(check)")
        #expect(check.stdoutLines.contains("  ok      users.id: index users_pkey; apply finds a batch's rows through it"), "\(check)")

        let bundle = try shop.plan()
        let plan = try shop.readPlan(bundle)
        #expect(plan.warnings.contains(warning), "\(plan.warnings)")
        try #require(plan.totals.adjustmentCount > 0)
        try shop.approve(bundle)

        let before = try DatabaseFingerprint.take(shop)
        let refused = try shop.apply(bundle)
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderrLines == ["remedy: error: public.transactions has no index whose first column is user_id (\(megabytes) MB): each batch of apply would read all of it while it holds those users' rows locked, and their live top-ups wait; create it first (\(index)) or pass --allow-unindexed-recheck to accept that"],
                "\(refused)")
        #expect(try DatabaseFingerprint.take(shop).differences(from: before) == [])

        let accepted = try shop.remedy(["apply", bundle, "--key", shop.key("andi"), "--jobs", shop.jobs, "--allow-unindexed-recheck"])
        #expect(accepted.status == 0, "\(accepted)")
        #expect(try shop.count("remedy.audit_log WHERE action = 'correction.applied'") == plan.totals.adjustmentCount)

        // With the index, check has nothing to say about it and apply needs no flag.
        try shop.connection.execute("CREATE INDEX ON public.transactions (user_id)")
        let fit = try shop.remedy(["check", "tripay-double-credit"] + shop.windowParameters + ["--jobs", shop.jobs])
        #expect(!fit.stdout.contains("WARNING public.transactions"), "\(fit)")
        #expect(fit.stdoutLines.contains("  ok      transactions.user_id: index transactions_user_id_idx; apply finds a batch's rows through it"), "\(fit)")
    }
}
