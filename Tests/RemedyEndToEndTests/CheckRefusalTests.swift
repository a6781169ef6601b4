import Foundation
import ShopSimulator
import Testing

/// Where `remedy check` says the job cannot run here (exit 1), `remedy plan` refuses with the same
/// line and changes nothing.
@Suite("check and plan refuse what cannot run")
struct CheckRefusalTests {
    /// A column the role may not read: check names it and the grant; plan used to stop on
    /// PostgreSQL's own "permission denied" halfway through its snapshot.
    @Test func aColumnTheRoleCannotReadIsNamedWithItsGrant() throws {
        let shop = try VariantShop(seed: 65, schema: SchemaVariant())
        try shop.initialize()
        let role = "shop_reader_\(UUID().uuidString.prefix(8).lowercased())"
        let readable = try shop.connection.query("""
            SELECT string_agg(quote_ident(attname), ', ') FROM pg_attribute
             WHERE attrelid = 'public.transactions'::regclass AND attnum > 0 AND NOT attisdropped
               AND attname <> 'tripay_callback_data'
            """)[0].decode(0, as: String.self)
        try shop.connection.executeScript("""
            CREATE ROLE \(role) LOGIN BYPASSRLS;
            GRANT USAGE ON SCHEMA public TO \(role);
            GRANT SELECT, UPDATE ON users TO \(role);
            GRANT SELECT (\(readable)) ON transactions TO \(role);
            GRANT USAGE ON SCHEMA remedy TO \(role);
            GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA remedy TO \(role);
            GRANT USAGE ON ALL SEQUENCES IN SCHEMA remedy TO \(role);
            """)
        shop.shop.remedyDatabaseURL = shop.shop.database.url.replacingOccurrences(of: "user=postgres", with: "user=\(role)")
        try #require(shop.shop.remedyDatabaseURL != shop.shop.database.url)

        let refused = try shop.check()
        #expect(refused.status == 1, "\(refused)")
        let line = "role \(role) may not read transactions.tripay_callback_data (no SELECT privilege); GRANT SELECT (tripay_callback_data) ON public.transactions TO \(role)"
        #expect(refused.stdout.contains(line), "\(refused)")
        #expect(refused.stdout.contains("The job cannot run here"), "\(refused)")

        let before = try shop.fingerprint()
        let out = shop.shop.directory + "/refused-plan"
        let plan = try shop.shop.remedy(["plan", "tripay-double-credit"] + shop.shop.windowParameters
                                        + ["--key", shop.shop.key("andi"), "--out", out, "--jobs", shop.shop.jobs])
        #expect(plan.status == 1, "\(plan)")
        #expect(plan.stderrLines.filter { $0.hasPrefix("remedy: error:") }
                == ["remedy: error: \(line) (remedy check tripay-double-credit lists everything to fix)"], "\(plan)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try shop.fingerprint() == before)
    }
}
