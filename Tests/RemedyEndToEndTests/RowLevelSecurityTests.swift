import Foundation
import Testing

/// A role that sees the shop's users through row-level security reads a filtered table, where
/// the hidden users' excess simply does not exist. remedy must refuse to plan from it.
@Suite("Row-level security")
struct RowLevelSecurityTests {
    @Test func planAsARoleFilteredByRowLevelSecurityIsRefused() throws {
        let shop = try EndToEndShop(users: 120, seed: 51)
        // Roles are cluster-wide and the cluster is shared by the test process: a name of our own.
        let role = "shop_reader_\(UUID().uuidString.prefix(8).lowercased())"
        try shop.connection.executeScript("""
            CREATE ROLE \(role) LOGIN;
            GRANT USAGE ON SCHEMA public TO \(role);
            GRANT SELECT ON users, transactions TO \(role);
            GRANT USAGE ON SCHEMA remedy TO \(role);
            GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA remedy TO \(role);
            GRANT USAGE ON ALL SEQUENCES IN SCHEMA remedy TO \(role);
            ALTER TABLE users ENABLE ROW LEVEL SECURITY;
            CREATE POLICY small_balances_only ON users FOR SELECT USING (balance < 100000);
            """)
        defer { try? shop.connection.executeScript("DROP OWNED BY \(role); DROP ROLE \(role);") }
        let hidden = try shop.connection.query("SELECT count(*) FROM users WHERE balance >= 100000")[0].decode(0, as: Int.self)
        try #require(hidden > 0, "the policy should hide some users")
        let readerURL = shop.database.url.replacingOccurrences(of: "user=postgres", with: "user=\(role)")
        try #require(readerURL != shop.database.url)

        let before = try DatabaseFingerprint.take(shop)
        let out = shop.directory + "/rls-plan"
        let plan = ["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--out", out, "--jobs", shop.jobs]
        let refused = try RemedyProcess.run(plan + ["--database-url", readerURL])
        #expect(refused.exitedNonZero, "\(refused)")
        let error = refused.stderrLines.last ?? ""
        #expect(error.hasPrefix("remedy: error: "), "\(refused)")
        #expect(error.contains("row-level security") && error.contains("BYPASSRLS"), "\(refused)")
        #expect(refused.stderrLines.filter { $0.hasPrefix("remedy: error:") }.count == 1, "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: out), "no bundle is written")
        #expect(try shop.count("remedy.plans") == 0, "no plan is recorded")
        let changes = try DatabaseFingerprint.take(shop).differences(from: before)
        #expect(changes.isEmpty, "\(changes)")

        // The same role with BYPASSRLS sees every row, and may plan: the refusal was about the filter.
        try shop.connection.execute("ALTER ROLE \(role) BYPASSRLS")
        let allowed = try RemedyProcess.run(plan + ["--database-url", readerURL])
        #expect(allowed.exitedZero, "\(allowed)")
        #expect(try shop.count("remedy.plans") == 1)
    }
}
