import Foundation
import Postgres
import RemedyCore
import Rupiah
import Testing
import TestSupport

/// `--read-url`: plan, check, `verify --read-only` and export read a real hot standby (TestReplica:
/// a second throwaway cluster made by pg_basebackup, streaming from the first), while what remedy
/// writes and whom it trusts stay on the primary. Serialized: one test pauses the standby's replay.
@Suite("Reading a hot standby (--read-url)", .serialized,
       .enabled(if: TestReplica.isAvailable, "pg_basebackup is not installed beside initdb: install the PostgreSQL server package's client programs to run the replica tests (CI has them; REMEDY_REQUIRE_REPLICA=1 makes their absence fail)"))
struct ReadReplicaTests {
    /// A shop on the replica pair's primary, initialized, with the standby caught up.
    static func shopOnThePrimary(users: Int = 300, seed: UInt64, name: String? = nil) throws -> (shop: EndToEndShop, readURL: String) {
        let shop = try EndToEndShop(users: users, seed: seed, database: try TestReplica.makeDatabase(named: name))
        try TestReplica.waitForReplay()
        return (shop, try TestReplica.standbyURL(database: shop.database.name))
    }

    static func plan(_ shop: EndToEndShop, readURL: String?, environment: [String: String] = [:]) throws -> String {
        let out = "\(shop.directory)/plan-\(UUID().uuidString.prefix(8))"
        try shop.remedy(["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--out", out, "--jobs", shop.jobs]
                        + (readURL.map { ["--read-url", $0] } ?? []), environment: environment).requireSuccess()
        return out
    }

    static func auditRows(_ shop: EndToEndShop) throws -> Int {
        try shop.count("remedy.audit_log")
    }

    @Test func theReplicasPlanIsThePrimarysPlanRecordedOnThePrimaryWithWhereItRead() throws {
        let (shop, readURL) = try Self.shopOnThePrimary(seed: 71)
        let onPrimary = try shop.readPlan(Self.plan(shop, readURL: nil))
        // REMEDY_READ_URL is the same as --read-url.
        let bundle = try Self.plan(shop, readURL: nil, environment: ["REMEDY_READ_URL": readURL])
        let onReplica = try shop.readPlan(bundle)

        let replica = try #require(onReplica.readReplica, "the plan records the replica it read")
        let standby = try TestReplica.get().standby
        #expect(replica.server.contains(":\(standby.port)/\(shop.database.name)"), "\(replica.server)")
        #expect(replica.replayLsn.range(of: #"^[0-9A-F]{1,8}/[0-9A-F]{1,8}$"#, options: .regularExpression) != nil, "\(replica.replayLsn)")
        #expect(onPrimary.readReplica == nil)
        // The same lines, the same primary named: nothing changed between the two snapshots.
        #expect(onReplica.adjustments == onPrimary.adjustments && onReplica.holds == onPrimary.holds && onReplica.totals == onPrimary.totals)
        #expect(!onReplica.adjustments.isEmpty)
        #expect(onReplica.database == onPrimary.database)
        // Recorded where remedy writes: the primary's remedy.plans.
        let digest = try PlanBundle.read(bundle).digest
        #expect(try shop.connection.query("SELECT count(*) FROM remedy.plans WHERE digest = $1", [digest])[0].decode(0, as: Int.self) == 1)
        let shown = try shop.remedy(["show", bundle]).requireSuccess()
        #expect(shown.stdout.contains("snapshot taken on the read replica") && shown.stdout.contains(replica.replayLsn), "\(shown)")

        // Signed off and applied on the primary; read back on the standby once it has replayed.
        try shop.approve(bundle)
        try shop.apply(bundle).requireSuccess()
        try TestReplica.waitForReplay()
        let rowsBefore = try Self.auditRows(shop)
        let verified = try shop.remedy(["verify", bundle, "--read-only", "--read-url", readURL, "--jobs", shop.jobs, "--json"]).requireSuccess()
        let result = try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any]
        #expect(result?["users_checked"] as? Int == onReplica.adjustments.count, "\(verified)")
        #expect(result?["read_only"] as? Bool == true)
        #expect((result?["read_replica"] as? [String: Any])?["server"] as? String == replica.server, "\(verified)")
        #expect(try Self.auditRows(shop) == rowsBefore, "verify --read-only writes no audit row")
        let exported = try shop.remedy(["export", bundle, "--format", "csv", "--out", "\(shop.directory)/export.csv", "--read-url", readURL]).requireSuccess()
        #expect(exported.stdout.contains("on the read replica \(replica.server)"), "\(exported)")
        #expect(try Self.auditRows(shop) == rowsBefore, "export writes nothing")
        let checked = try shop.remedy(["check", "tripay-double-credit"] + shop.windowParameters + ["--jobs", shop.jobs, "--read-url", readURL])
        #expect(checked.status == 0 || checked.status == 2, "\(checked)")
        #expect(checked.stdout.contains("read on the read replica \(replica.server)"), "\(checked)")
        try shop.remedy(["audit", "verify"]).requireSuccess()
    }

    /// The replica stops replaying; on the primary one user's balance is changed by hand and another
    /// user completes a purchase (balance and ledger move together: the excess stays). A plan on the
    /// replica sees neither. Applied on the primary, the first line is skipped as stale (nothing
    /// moved for that user) and the second is applied on the balance as it now is: excess zero.
    @Test func aLaggingReplicaOnlyMakesLinesStale() throws {
        let (shop, readURL) = try Self.shopOnThePrimary(seed: 72)
        let onPrimary = try shop.readPlan(Self.plan(shop, readURL: nil))
        let clean = onPrimary.adjustments.filter { $0.receivable.isZero && $0.delta < .zero }
        try #require(clean.count >= 3)
        let handEdited = clean[0]
        let purchaser = clean[1]

        try TestReplica.pauseReplay()
        defer { try? TestReplica.resumeReplay() }
        try shop.connection.execute("UPDATE users SET balance = balance + 5000 WHERE id = $1::uuid", [handEdited.userId])
        let purchase = try shop.connection.query("""
            INSERT INTO transactions (user_id, transaction_type, amount, status, product_name)
            VALUES ($1::uuid, 'purchase', 1000, 'pending', 'voucher replica-lag') RETURNING id::text
            """, [purchaser.userId])[0].decode(0, as: String.self)
        try shop.connection.execute("UPDATE transactions SET status = 'completed', completed_at = now() WHERE id = $1::uuid", [purchase])

        let bundle = try Self.plan(shop, readURL: readURL)
        let planned = try shop.readPlan(bundle)
        #expect(planned.readReplica != nil)
        let staleLine = try #require(planned.adjustments.first { $0.userId == handEdited.userId })
        #expect(staleLine.excess == handEdited.excess, "the replica shows the balance before the hand edit")
        #expect(planned.adjustments.first { $0.userId == purchaser.userId } == purchaser, "the replica does not show the purchase")

        try shop.approve(bundle)
        let before = try shop.balances()
        let run = try shop.apply(bundle)
        #expect(run.exitedNonZero, "a stale line makes apply exit non-zero\n\(run)")
        #expect(run.stdoutLines.contains { $0.hasPrefix("skipped") && $0.contains(handEdited.label) && $0.contains("stale") }, "\(run)")
        let after = try shop.balances()
        #expect(after[handEdited.userId] == before[handEdited.userId], "the stale line moved nothing")
        #expect(try shop.connection.query("SELECT count(*) FROM remedy.entries WHERE user_id = $1", [handEdited.userId])[0].decode(0, as: Int.self) == 0)
        // Every other line applied on the primary's current numbers: nothing left but the hand edit.
        let verified = try shop.remedy(["verify", bundle, "--read-only", "--jobs", shop.jobs, "--json"])
        let result = try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any]
        let residuals = (result?["residuals"] as? [[String: Any]]) ?? []
        #expect(residuals.map { $0["user_id"] as? String } == [handEdited.userId], "\(verified)")
        #expect((residuals.first?["excess"] as? String) == (try handEdited.excess.adding(Money(rupiah: 5_000)).exactText), "\(verified)")
        #expect(try Sen.parse(after[purchaser.userId] ?? "") == (try Sen.parse(before[purchaser.userId] ?? "")) + (try Sen.parse(purchaser.delta.exactText)))
        try shop.remedy(["audit", "verify"]).requireSuccess()

        // A new plan on the primary sees the hand edit: nothing left to move, that user held with the new excess.
        let next = try shop.readPlan(Self.plan(shop, readURL: nil))
        #expect(next.adjustments.isEmpty, "\(next.adjustments.map(\.userId))")
        #expect(try next.holds.first { $0.userId == handEdited.userId }?.excess == handEdited.excess.adding(Money(rupiah: 5_000)))
    }

    /// A standby of another cluster (a database of the same name there) is refused by every
    /// command with one line naming the system identifiers, and nothing changes.
    @Test func aReplicaOfAnotherClusterIsRefused() throws {
        let shop = try EndToEndShop(users: 80, seed: 73)
        let (other, otherReadURL) = try Self.shopOnThePrimary(users: 80, seed: 73, name: shop.database.name)
        _ = other
        let bundle = try shop.plan()
        for command in [
            ["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--jobs", shop.jobs],
            ["check", "tripay-double-credit"] + shop.windowParameters + ["--jobs", shop.jobs],
            ["verify", bundle, "--read-only", "--jobs", shop.jobs],
            ["export", bundle, "--format", "csv", "--out", "\(shop.directory)/refused.csv"],
        ] {
            let run = try expectRefusal(command + ["--read-url", otherReadURL], in: shop, mentioning: ["another cluster", "system identifier"])
            #expect(run.status == 3, "refused on purpose\n\(run)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(shop.directory)/refused.csv"))
        try shop.remedy(["audit", "verify"]).requireSuccess()
    }

    @Test func whatIsNotAReplicaOfThisDatabaseIsRefused() throws {
        let (shop, readURL) = try Self.shopOnThePrimary(users: 80, seed: 74)
        let plan = ["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--jobs", shop.jobs]
        // The primary itself is no replica.
        try expectRefusal(plan + ["--read-url", shop.database.url], in: shop, mentioning: ["not a read replica", "pg_is_in_recovery"])
        // Another database on the standby.
        let elsewhere = try TestReplica.standbyURL(database: "postgres")
        try expectRefusal(plan + ["--read-url", elsewhere], in: shop, mentioning: ["reaches database postgres", shop.database.name])
        // Unreachable: one line, naming --read-url, never its password.
        let secret = "s3cret-\(UUID().uuidString.prefix(8))"
        let run = try expectRefusal(plan + ["--read-url", "postgres://remedy:\(secret)@127.0.0.1:1/shop?connect_timeout=2"], in: shop,
                                    mentioning: ["read replica", "--read-url"])
        #expect(!run.stderr.contains(secret) && !run.stdout.contains(secret), "\(run)")
        // A verify that writes its outcome reads the primary.
        let bundle = try Self.plan(shop, readURL: readURL)
        let verify = try shop.remedy(["verify", bundle, "--read-url", readURL, "--jobs", shop.jobs])
        #expect(verify.exitedNonZero && verify.stderr.contains("--read-url needs --read-only"), "\(verify)")
        // A plan made on the primary has no read_replica key at all; null is not remedy's form.
        let primaryBundle = try Self.plan(shop, readURL: nil)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: primaryBundle + "/plan.json"))
        #expect(bytes.range(of: Data("read_replica".utf8)) == nil)
    }

    /// plan.json's one reader takes the replica's position as remedy writes it and nothing else.
    @Test func theReaderRefusesAReplicaPositionRemedyNeverWrites() throws {
        let (shop, readURL) = try Self.shopOnThePrimary(users: 80, seed: 75)
        let bundle = try Self.plan(shop, readURL: readURL)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: bundle + "/plan.json"))
        var plan = try CanonicalJSON.decode(Plan.self, from: bytes)
        try #require(plan.readReplica != nil)
        plan.readReplica?.replayLsn = "0/3000060; DROP"
        let forged = try PlanForgery.record(try PlanForgery.encode(plan), claiming: plan, signedWith: shop.key("andi"), in: shop)
        try expectRefusal(["show", forged.path], in: shop, mentioning: ["read replica position remedy never writes"])

        // "read_replica":null where a primary's plan has no key: not canonical.
        var onPrimary = plan
        onPrimary.readReplica = nil
        var document = try PlanForgery.encode(onPrimary)
        let settled = try #require(document.range(of: Data(#","settled":"#.utf8)))
        document.insert(contentsOf: Data(#","read_replica":null"#.utf8), at: settled.lowerBound)
        let withNull = try PlanForgery.record(document, claiming: onPrimary, signedWith: shop.key("andi"), in: shop)
        try expectRefusal(["show", withNull.path], in: shop, mentioning: ["canonical"])
    }
}
