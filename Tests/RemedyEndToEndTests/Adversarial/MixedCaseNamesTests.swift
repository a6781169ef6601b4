import Foundation
import Postgres
import Testing

/// Issue 10, item 12: a shop whose tables and columns have mixed-case names (`"Shop"."Users"`,
/// `"Balance"`). The catalog checks passed the unquoted name to `to_regclass`, which folds it to
/// `shop.users`: the table was refused as missing, or checked against a lowercase twin while the
/// job's SQL read the real one. Twins with other data sit beside the real tables here, so any
/// read of the wrong table shows in the balances.
@Suite("Adversarial: mixed-case table and column names, with lowercase twins")
struct MixedCaseNamesTests {
    @Test func aMixedCaseShopIsPlannedAppliedAndVerifiedOnItsOwnTables() throws {
        let jobs = try JobsDirectoryCopy(replacingEach: [
            ("    table: public.users", "    table: Shop.Users"), ("    balance: balance", "    balance: Balance"),
            ("    table: public.transactions", "    table: Shop.Transactions"), ("    user: user_id", "    user: UserId"),
        ])
        // The refiring trigger: whether the plan says so depends on finding the trigger on the
        // right table.
        let shop = try EndToEndShop(users: 150, seed: 1012, jobs: jobs.path, variant: .refiring)
        try shop.connection.executeScript("""
            CREATE SCHEMA "Shop";
            ALTER TABLE public.users SET SCHEMA "Shop";
            ALTER TABLE "Shop".users RENAME TO "Users";
            ALTER TABLE "Shop"."Users" RENAME COLUMN balance TO "Balance";
            ALTER TABLE public.transactions SET SCHEMA "Shop";
            ALTER TABLE "Shop".transactions RENAME TO "Transactions";
            ALTER TABLE "Shop"."Transactions" RENAME COLUMN user_id TO "UserId";
            -- Twins, each with other balances: what a case-folded lookup would find.
            CREATE SCHEMA shop;
            CREATE TABLE shop.users AS SELECT * FROM "Shop"."Users";
            UPDATE shop.users SET "Balance" = "Balance" + 5000;
            ALTER TABLE shop.users ALTER COLUMN id TYPE text;
            CREATE TABLE shop.transactions AS SELECT * FROM "Shop"."Transactions";
            CREATE TABLE public.users AS SELECT id, username, "Balance" + 7000 AS balance FROM "Shop"."Users";
            """)
        let real = try balances(#""Shop"."Users""#, column: #""Balance""#, on: shop.connection)
        let twins = try [#"shop.users"#: balances("shop.users", column: #""Balance""#, on: shop.connection),
                         "public.users": balances("public.users", column: "balance", on: shop.connection)]

        let bundle = try shop.plan()
        let plan = try shop.readPlan(bundle)
        try #require(!plan.adjustments.isEmpty, "the simulated incident leaves users to correct")
        #expect(plan.evidence.triggerRefires, "the balance trigger on \"Shop\".\"Transactions\" re-fires: \(plan.evidence.triggerRefiresReason)")
        for line in plan.adjustments {
            #expect(line.balance.exactText == real[line.userId], "user \(line.userId): planned from balance \(line.balance.exactText), the real table holds \(real[line.userId] ?? "nothing")")
        }

        try shop.approve(bundle)
        let applied = try shop.apply(bundle)
        #expect(applied.exitedZero, "\(applied)")
        let after = try balances(#""Shop"."Users""#, column: #""Balance""#, on: shop.connection)
        var expected = real
        for line in plan.adjustments { expected[line.userId] = line.balanceAfter.exactText }
        let wrong = expected.keys.sorted().filter { after[$0] != expected[$0] }
        #expect(wrong.isEmpty, "\(wrong.count) balances of \"Shop\".\"Users\" are not what the plan approved, e.g. \(wrong.prefix(3))")
        for (twin, before) in twins {
            let column = twin == "public.users" ? "balance" : #""Balance""#
            #expect(try balances(twin, column: column, on: shop.connection) == before, "the twin \(twin) was touched")
        }

        let verified = try shop.remedy(["verify", bundle, "--jobs", jobs.path])
        #expect(verified.exitedZero, "\(verified)")
        #expect(try shop.remedy(["audit", "verify"]).exitedZero)
    }

    /// id → balance as exact text, from `table` (names written as SQL).
    private func balances(_ table: String, column: String, on connection: PostgresConnection) throws -> [String: String] {
        var result: [String: String] = [:]
        for row in try connection.query("SELECT id::text, \(column)::text FROM \(table)") {
            result[try row.decode(0, as: String.self)] = try row.decode(1, as: String.self)
        }
        return result
    }
}
