import Foundation
import Testing

extension ReliabilitySuite {
    /// Issue 6: "Bad input: … unreachable or wrong database, a database without `remedy init`, a
    /// role blocked by row-level security, non-UTF-8 input. Each gets one clear error and nothing
    /// changes." Only what the existing tests leave open (see the checklist in ReliabilitySuite.swift).
    @Suite("Bad input")
    struct BadInput {
        @Test func aPlanTakenToAnotherDatabaseIsRefusedNamingIt() throws {
            let shop = try EndToEndShop(users: 120, seed: ReliabilitySettings.shopSeed("bad input: databases"), initialize: false)
            // The same shop's data where remedy was never initialized (e.g. staging, restored from the shop's dump).
            let bare = try shop.withoutConnection { try shop.database.copy() }
            defer { try? bare.drop() }
            try shop.remedy(["init", "--approvers", shop.approversFile]).requireSuccess()
            let bundle = try shop.plan()
            try shop.approve(bundle)
            // A copy of the plan's own database, remedy's tables included (e.g. a restored backup).
            let copied = try shop.withoutConnection { try shop.database.copy() }
            defer { try? copied.drop() }
            let apply = ["apply", bundle, "--key", shop.key("andi"), "--jobs", shop.jobs]
            let approve = ["approve", bundle, "--key", shop.key("sari")]

            let bareConnection = try bare.connect()
            defer { bareConnection.close() }
            for command in [apply, approve] {
                try expectRefusal(command, onDatabase: bare.url, watchedThrough: bareConnection, mentioning: ["remedy init"])
            }
            #expect(try bareConnection.query("SELECT to_regnamespace('remedy') IS NULL")[0].decode(0, as: Bool.self), "no remedy schema appeared")

            // Initialized on its own, with the very same trusted people: still not the plan's database.
            try RemedyProcess.run(["init", "--approvers", shop.approversFile, "--database-url", bare.url]).requireSuccess()
            for command in [apply, approve] {
                try expectRefusal(command, onDatabase: bare.url, watchedThrough: bareConnection, mentioning: [bare.name, shop.database.name])
            }
            let copiedConnection = try copied.connect()
            defer { copiedConnection.close() }
            for command in [apply, approve] {
                try expectRefusal(command, onDatabase: copied.url, watchedThrough: copiedConnection, mentioning: [copied.name, shop.database.name])
            }
            // Where it belongs, the plan applies.
            try shop.apply(bundle).requireSuccess()
        }

        @Test func applyAsARoleThatRowLevelSecurityFiltersIsRefused() throws {
            // RowLevelSecurityTests covers plan; apply reads and moves the same rows.
            let shop = try EndToEndShop(users: 120, seed: ReliabilitySettings.shopSeed("bad input: rls"))
            let bundle = try shop.plan()
            try shop.approve(bundle)
            // The shop's tables have Supabase's policies (members see their own rows); this role
            // may read and write everything else apply needs, but is not exempt from them.
            let role = "shop_runner_\(UUID().uuidString.prefix(8).lowercased())"
            try shop.connection.executeScript("""
                CREATE ROLE \(role) LOGIN;
                GRANT USAGE ON SCHEMA public TO \(role);
                GRANT SELECT, UPDATE ON users TO \(role);
                GRANT SELECT ON transactions TO \(role);
                GRANT USAGE ON SCHEMA remedy TO \(role);
                GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA remedy TO \(role);
                GRANT USAGE ON ALL SEQUENCES IN SCHEMA remedy TO \(role);
                """)
            defer { try? shop.connection.executeScript("DROP OWNED BY \(role); DROP ROLE \(role);") }
            let url = shop.database.url.replacingOccurrences(of: "user=postgres", with: "user=\(role)")
            try #require(url != shop.database.url)
            try expectRefusal(["apply", bundle, "--key", shop.key("andi"), "--jobs", shop.jobs], onDatabase: url, watchedThrough: shop.connection,
                              mentioning: ["row-level security", "BYPASSRLS"])
        }

        @Test func malformedFilesAreRefusedWithOneLine() throws {
            let shop = try EndToEndShop(users: 60, seed: ReliabilitySettings.shopSeed("bad input: files"), initialize: false)

            // Approvers files: not UTF-8, not YAML, an entry without its key. init creates nothing.
            let latin1 = shop.directory + "/approvers-latin1.yaml"
            let latin1Comment = Data("# Andi P".utf8) + Data([0xE9]) + Data("rez\n".utf8)  // é in Latin-1
            try (try Data(contentsOf: URL(fileURLWithPath: shop.approversFile)) + latin1Comment).write(to: URL(fileURLWithPath: latin1))
            try expectRefusal(["init", "--approvers", latin1], in: shop, mentioning: ["UTF-8"])
            let notYAML = shop.directory + "/approvers-broken.yaml"
            try "approvers: [\n  - name: \"andi\"\n".write(toFile: notYAML, atomically: true, encoding: .utf8)
            try expectRefusal(["init", "--approvers", notYAML], in: shop, mentioning: ["approvers-broken.yaml"])
            let keyless = shop.directory + "/approvers-keyless.yaml"
            try "approvers:\n  - name: \"andi\"\n    role: \"engineering\"\n".write(toFile: keyless, atomically: true, encoding: .utf8)
            try expectRefusal(["init", "--approvers", keyless], in: shop, mentioning: ["public_key"])
            #expect(try shop.connection.query("SELECT to_regnamespace('remedy') IS NULL")[0].decode(0, as: Bool.self), "no remedy schema appeared")
            try shop.remedy(["init", "--approvers", shop.approversFile]).requireSuccess()

            // A job spec that is not YAML, and one missing a required key.
            func plan(_ jobs: JobsDirectoryCopy) -> [String] {
                ["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--jobs", jobs.path]
            }
            let notYAMLJob = try JobsDirectoryCopy(replacing: "schema:\n", with: "schema: [\n")
            try expectRefusal(plan(notYAMLJob), in: shop, mentioning: ["job.yaml", "not valid YAML"])
            let noStrategy = try JobsDirectoryCopy(replacing: "strategy: double-credit\n", with: "")
            try expectRefusal(plan(noStrategy), in: shop, mentioning: ["strategy"])

            // A key file that is not a key (binary garbage), and a plan.json that is valid JSON
            // with a matching digest but not a plan.
            let bundle = try shop.plan()
            let garbageKey = shop.directory + "/garbage.key"
            try Data((0..<64).map { UInt8(($0 * 37 + 200) % 256) }).write(to: URL(fileURLWithPath: garbageKey))
            chmod(garbageKey, 0o600)
            try expectRefusal(["approve", bundle, "--key", garbageKey], in: shop, mentioning: ["garbage.key", "not a remedy key"])
            let hollow = try BundleForgery.copy(bundle, in: shop.directory)
            try Data("{}".utf8).write(to: URL(fileURLWithPath: hollow + "/plan.json"))
            try "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a  plan.json\n".write(toFile: hollow + "/plan.sha256", atomically: true, encoding: .utf8)
            try expectRefusal(["apply", hollow, "--key", shop.key("andi"), "--jobs", shop.jobs], in: shop, mentioning: ["not a remedy plan"])
        }
    }
}
