import Foundation
import Postgres
@testable import RemedyCore
import Testing

/// Issue 10, item 7 (receivables and old approver sets): someone with write access to remedy's
/// schema, but not its owner (who can disable triggers), tries to change remedy's records by SQL.
@Suite("Adversarial: remedy's own records")
struct RemedyRecordsAttackTests {
    /// A statement that must be refused by the database: returns its SQLSTATE.
    fileprivate static func refusedSQL(_ sql: String, on shop: EndToEndShop, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try DatabaseFingerprint.take(shop)
        do {
            try shop.connection.execute(sql)
            Issue.record("accepted: \(sql)", sourceLocation: sourceLocation)
        } catch let error as PostgresError {
            #expect(error.sqlState == "42501", "refused as append-only: \(error)", sourceLocation: sourceLocation)
        }
        #expect(try DatabaseFingerprint.take(shop).differences(from: before).isEmpty, sourceLocation: sourceLocation)
    }

    @Test func receivablesAndTheirSettlementsAreAppendOnlyAndCountedByAuditVerify() throws {
        let clamp = try JobsDirectoryCopy(replacing: "negative_balance: hold        # hold | allow | clamp", with: "negative_balance: clamp")
        let shop = try EndToEndShop(users: 200, seed: 74, jobs: clamp.path)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        try shop.apply(bundle).requireSuccess()
        let owed = try shop.count("remedy.receivables")
        try #require(owed > 0, "the shop should have users who spent the credit: clamp leaves receivables")
        #expect(try shop.remedy(["audit", "verify"]).exitedZero)

        // Settling behind remedy's back (the user's excess would rise, and the next plan take
        // more), or removing a receivable, is refused by the database.
        try Self.refusedSQL("DELETE FROM remedy.receivables WHERE id = (SELECT min(id) FROM remedy.receivables)", on: shop)
        try Self.refusedSQL("UPDATE remedy.receivables SET amount = amount + 1 WHERE id = (SELECT min(id) FROM remedy.receivables)", on: shop)
        try Self.refusedSQL("TRUNCATE remedy.receivables CASCADE", on: shop)
        // The run its entries name keeps its id and its plan (schema 10: the entries' check of
        // their run is per statement, and these triggers keep what the foreign key kept).
        try Self.refusedSQL("DELETE FROM remedy.runs", on: shop)
        try Self.refusedSQL("UPDATE remedy.runs SET plan_digest = plan_digest", on: shop)
        try Self.refusedSQL("UPDATE remedy.runs SET id = gen_random_uuid()", on: shop)
        try Self.refusedSQL("TRUNCATE remedy.runs CASCADE", on: shop)

        // A revert settles them with new rows: counted, and the audit chain still verifies.
        let out = "\(shop.directory)/revert"
        try shop.remedy(["revert", bundle, "--key", shop.key("andi"), "--out", out, "--jobs", shop.jobs]).requireSuccess()
        try shop.approve(out)
        try shop.apply(out).requireSuccess()
        #expect(try shop.count("remedy.receivable_settlements") == owed)
        #expect(try shop.count("remedy.open_receivables") == 0)
        #expect(try shop.remedy(["audit", "verify"]).exitedZero)
        try Self.refusedSQL("DELETE FROM remedy.receivable_settlements WHERE id = (SELECT min(id) FROM remedy.receivable_settlements)", on: shop)
        try Self.refusedSQL("UPDATE remedy.receivable_settlements SET amount = amount + 1", on: shop)

        // Rows added by SQL have no audit row of the line that made them: audit verify says so.
        try shop.connection.execute("""
            INSERT INTO remedy.receivables (idempotency_key, job, plan_digest, user_id, amount)
            SELECT 'forged', job, plan_digest, user_id, 5000 FROM remedy.receivables ORDER BY id LIMIT 1
            """)
        let forgedReceivable = try shop.remedy(["audit", "verify"])
        #expect(forgedReceivable.exitedNonZero, "\(forgedReceivable)")
        #expect(forgedReceivable.stdout.contains("receivables in remedy.receivables"), "\(forgedReceivable)")
        try shop.connection.execute("""
            INSERT INTO remedy.receivable_settlements (receivable_key, revert_key, amount) VALUES ('forged', 'forged', 5000)
            """)
        let forgedSettlement = try shop.remedy(["audit", "verify"])
        #expect(forgedSettlement.exitedNonZero, "\(forgedSettlement)")
        #expect(forgedSettlement.stdout.contains("receivable settlements in remedy.receivable_settlements"), "\(forgedSettlement)")
    }

    @Test func anApproverSetRecordedBeforeVersion3CannotBeExtendedBySQL() throws {
        // An installation made by a remedy of schema version 2: no approvers file kept with set 1.
        let shop = try EndToEndShop(users: 60, seed: 75, initialize: false)
        let file = try ApproverFile.load(path: shop.approversFile)
        try shop.connection.transaction {
            for (version, sql) in [(1, RemedySchemaSQL.version1), (2, RemedySchemaSQL.version2)] {
                try shop.connection.executeScript(sql)
                try shop.connection.execute(RemedySchemaSQL.recordVersion, [version])
            }
            try shop.connection.execute(RemedyStoreSQL.createInstallation, [PostgresArray(file.quorum)])
            try shop.connection.execute("INSERT INTO remedy.approver_sets (version, file_digest) VALUES (1, $1)", [file.digest])
            for approver in file.approvers {
                try shop.connection.execute(RemedyStoreSQL.insertApprover, [1, approver.publicKey.base64, approver.name, approver.role])
            }
        }
        // Upgraded by today's remedy, with the same file: the old set stays in force.
        try shop.remedy(["init", "--approvers", shop.approversFile]).requireSuccess()
        let bundle = try shop.plan()

        // eve, whom nobody trusted, is added to the old set by SQL, then approves.
        let eve = try SigningKey.load(path: shop.key("eve"))
        try shop.connection.execute("INSERT INTO remedy.approvers (set_version, public_key, name, role) VALUES (1, $1, 'eve', 'finance')",
                                    [eve.publicKey.base64])
        try expectRefusal(["approve", bundle, "--key", shop.key("eve")], in: shop, mentioning: ["set 1", "behind remedy's back"])
        try expectRefusal(["approvers", "list"], in: shop, mentioning: ["set 1"])
        #expect(try shop.count("remedy.approvals") == 0)
    }
}
