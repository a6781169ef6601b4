import Foundation
import Postgres
@testable import RemedyCore
import Rupiah
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

    /// The installation a shop's remedy schema was made as: every signed record names it.
    static func installation(_ shop: EndToEndShop) throws -> String {
        try shop.connection.query("SELECT installation_id::text FROM remedy.installation")[0].decode(0, as: String.self)
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
        // The revert's operator signed each settlement: verify checks them all, and reads on.
        let verified = try shop.remedy(["verify", out, "--jobs", shop.jobs])
        #expect(verified.exitedZero, "\(verified)")
        try Self.refusedSQL("DELETE FROM remedy.receivable_settlements WHERE id = (SELECT min(id) FROM remedy.receivable_settlements)", on: shop)
        try Self.refusedSQL("UPDATE remedy.receivable_settlements SET amount = amount + 1", on: shop)

        // A receivable without a signature is refused by the database (schema 11).
        do {
            try shop.connection.execute("""
                INSERT INTO remedy.receivables (idempotency_key, job, plan_digest, user_id, amount)
                SELECT 'unsigned', job, plan_digest, user_id, 5000 FROM remedy.receivables ORDER BY id LIMIT 1
                """)
            Issue.record("an unsigned receivable was accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "23514" && error.message.contains("receivables_signed"), "\(error)")
        }
        // Rows added by SQL have no audit row of the line that made them: audit verify says so.
        try shop.connection.execute("""
            INSERT INTO remedy.receivables (idempotency_key, job, plan_digest, user_id, amount, signer, signature)
            SELECT 'forged', job, plan_digest, user_id, 5000, signer, signature FROM remedy.receivables ORDER BY id LIMIT 1
            """)
        let forgedReceivable = try shop.remedy(["audit", "verify"])
        #expect(forgedReceivable.exitedNonZero, "\(forgedReceivable)")
        #expect(forgedReceivable.stdout.contains("receivables in remedy.receivables"), "\(forgedReceivable)")
        try shop.connection.execute("""
            INSERT INTO remedy.receivable_settlements (receivable_key, revert_key, amount, signer, signature)
            SELECT 'forged', 'forged', 5000, signer, signature FROM remedy.receivable_settlements ORDER BY id LIMIT 1
            """)
        let forgedSettlement = try shop.remedy(["audit", "verify"])
        #expect(forgedSettlement.exitedNonZero, "\(forgedSettlement)")
        #expect(forgedSettlement.stdout.contains("receivable settlements in remedy.receivable_settlements"), "\(forgedSettlement)")
    }

    /// A receivable is subtracted from its user's excess by every later plan, verify and revert:
    /// one forged by SQL (with an audit row chained for it, the chain has no key) would make the
    /// drift job give its amount back, or hide a residual. Each is signed by the operator whose
    /// run opened it, and one no trusted key signed is refused before anything is decided on it.
    @Test func aReceivableNoTrustedKeySignedIsRefusedByPlanVerifyAndRevert() throws {
        let clamp = try JobsDirectoryCopy(replacing: "negative_balance: hold        # hold | allow | clamp", with: "negative_balance: clamp")
        let shop = try EndToEndShop(users: 200, seed: 76, jobs: clamp.path)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        try shop.apply(bundle).requireSuccess()
        try #require(try shop.count("remedy.receivables") > 0, "clamp leaves receivables")
        // The operator's own signatures verify: plan and verify read the receivables apply opened.
        #expect(try shop.remedy(["verify", bundle, "--jobs", shop.jobs]).exitedZero)
        _ = try shop.plan()

        // A user with no receivable, owed Rp 52.000 by a row remedy never wrote.
        let row = try #require(try shop.connection.query("""
            SELECT e.user_id, e.plan_digest FROM remedy.entries e
             WHERE NOT EXISTS (SELECT 1 FROM remedy.receivables r WHERE r.user_id = e.user_id) ORDER BY e.user_id LIMIT 1
            """).first)
        let (userId, planDigest) = (try row.decode(0, as: String.self), try row.decode(1, as: String.self))
        let amount = try Money(exactText: "52000.00")
        let eve = try SigningKey.load(path: shop.key("eve"))
        let andi = try SigningKey.load(path: shop.key("andi"))
        let forgeries: [(key: String, signer: SigningKey, claimed: SigningKey)] = [
            ("forged-by-eve", eve, eve),    // signed, by a key nobody trusts
            ("forged-as-andi", eve, andi),  // eve's signature, andi's public key
        ]
        for forgery in forgeries {
            let signature = try BookSignature.sign(BookSignature.opened(installationId: try Self.installation(shop), idempotencyKey: forgery.key, job: "tripay-double-credit",
                                                                                    planDigest: planDigest, userId: userId, amount: amount),
                                                         with: forgery.signer)
            try shop.connection.execute("""
                INSERT INTO remedy.receivables (idempotency_key, job, plan_digest, user_id, amount, signer, signature)
                VALUES ($1, 'tripay-double-credit', $2, $3, 52000, $4, $5)
                """, [forgery.key, planDigest, userId, forgery.claimed.publicKey.base64, signature])
            // plan finds it in detect's snapshot, after saying it reads: its last line is the refusal.
            let before = try DatabaseFingerprint.take(shop)
            let plan = try shop.remedy(["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--jobs", shop.jobs])
            let refusal = plan.stderrLines.last ?? ""
            #expect(plan.exitedNonZero && refusal.hasPrefix("remedy: error: ") && refusal.contains("receivable \(forgery.key)")
                    && refusal.contains("no trusted key signed") && plan.stdout.isEmpty, "\(plan)")
            #expect(try DatabaseFingerprint.take(shop).differences(from: before).isEmpty, "a refused plan records nothing\n\(plan)")
            try expectRefusal(["verify", bundle, "--jobs", shop.jobs], in: shop, mentioning: ["receivable \(forgery.key)", "no trusted key signed"])
            try expectRefusal(["revert", bundle, "--key", shop.key("andi"), "--jobs", shop.jobs, "--out", "\(shop.directory)/revert-\(forgery.key)"],
                              in: shop, mentioning: ["receivable \(forgery.key)", "no trusted key signed"])
            // The test's superuser removes it (replication role: the append-only triggers do not fire).
            try shop.connection.transaction {
                try shop.connection.execute("SET LOCAL session_replication_role = replica")
                try shop.connection.execute("DELETE FROM remedy.receivables WHERE idempotency_key = $1", [forgery.key])
            }
            #expect(try shop.remedy(["verify", bundle, "--jobs", shop.jobs]).exitedZero, "with it gone, verify reads again")
        }

        // A settlement written by SQL would take a real receivable out of its user's excess, and
        // the next plan would take its amount again.
        let open = try #require(try shop.connection.query("SELECT idempotency_key, amount::text FROM remedy.open_receivables ORDER BY id LIMIT 1").first)
        let (receivableKey, owed) = (try open.decode(0, as: String.self), try open.decode(1, as: Money.self))
        let signature = try BookSignature.sign(BookSignature.settled(installationId: try Self.installation(shop), receivableKey: receivableKey, revertKey: "forged", planDigest: planDigest,
                                                                                 runId: "", amount: owed), with: eve)
        try shop.connection.execute("""
            INSERT INTO remedy.receivable_settlements (receivable_key, revert_key, plan_digest, amount, signer, signature) VALUES ($1, 'forged', $2, $3, $4, $5)
            """, [receivableKey, planDigest, owed, andi.publicKey.base64, signature])
        try expectRefusal(["verify", bundle, "--jobs", shop.jobs], in: shop, mentioning: ["settlement of receivable \(receivableKey)", "no trusted key signed"])
        let plan = try shop.remedy(["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--jobs", shop.jobs])
        #expect(plan.exitedNonZero && plan.stderrLines.last?.contains("settlement of receivable \(receivableKey)") == true, "\(plan)")
    }

    /// A revert puts back what the book says a correction took. Entries forged by SQL for a line
    /// apply never booked (it went stale), under a run row of the writer's own, would make a revert
    /// give back money never taken: each booked correction is signed by its operator and must be
    /// what its plan line approved, and a revert refuses one that is not.
    @Test func aCorrectionBookedBehindRemedysBackIsNotReverted() throws {
        let shop = try EndToEndShop(users: 200, seed: 78)
        let bundle = try shop.plan()
        let lines = try shop.readPlan(bundle).adjustments
        let stale = try #require(lines.first)
        try shop.approve(bundle)
        // The shop moves one user's balance: that line is stale at apply, and nothing of it is booked.
        try shop.connection.execute("UPDATE users SET balance = balance + 100 WHERE id = $1::uuid", [stale.userId])
        let applied = try shop.apply(bundle)
        #expect(applied.exitedNonZero && applied.stdout.contains("stale"), "\(applied)")
        #expect(try shop.connection.query("SELECT count(*) FROM remedy.entries WHERE idempotency_key = $1", [stale.idempotencyKey])[0].decode(0, as: Int.self) == 0)

        let digest = try PlanBundle.read(bundle).digest
        let eve = try SigningKey.load(path: shop.key("eve"))
        let andi = try SigningKey.load(path: shop.key("andi"))
        func forge(signedBy signer: SigningKey?, takenBack: Money) throws {
            let run = UUID().uuidString.lowercased()
            let before = try Money(exactText: "5099000.00")
            let after = try before.subtracting(takenBack)
            let signature = try signer.map {
                try BookSignature.sign(BookSignature.entry(installationId: try Self.installation(shop), idempotencyKey: stale.idempotencyKey, kind: "discovered", job: "tripay-double-credit",
                                                           planDigest: digest, runId: run, userId: stale.userId, amount: stale.excess,
                                                           balanceBefore: before, balanceAfter: after), with: $0)
            }
            try shop.connection.transaction {
                try shop.connection.execute("INSERT INTO remedy.runs (id, plan_digest, job, operator_key, operator_name, host, pid) VALUES ($1::uuid, $2, 'tripay-double-credit', $3, 'andi', 'h', 1)",
                                            [run, digest, andi.publicKey.base64])
                try shop.connection.execute("""
                    INSERT INTO remedy.entries (idempotency_key, kind, job, plan_digest, run_id, user_id, amount, balance_before, balance_after, evidence, signer, signature)
                    VALUES ($1, 'discovered', 'tripay-double-credit', $2, $3::uuid, $4, $5, $6, $7, '{}', $8, $9),
                           ($1, 'reversal', 'tripay-double-credit', $2, $3::uuid, $4, $10, $6, $7, NULL, NULL, NULL)
                    """, [stale.idempotencyKey, digest, run, stale.userId, stale.excess, before, after, signer.map { _ in andi.publicKey.base64 }, signature,
                           try stale.excess.negated()])
            }
        }
        func removeForged() throws {
            try shop.connection.transaction {
                try shop.connection.execute("SET LOCAL session_replication_role = replica")
                try shop.connection.execute("DELETE FROM remedy.entries WHERE idempotency_key = $1", [stale.idempotencyKey])
            }
        }
        let revert = ["revert", bundle, "--key", shop.key("andi"), "--jobs", shop.jobs]

        // Unsigned: the database refuses it.
        let unsigned = #expect(throws: PostgresError.self) { try forge(signedBy: nil, takenBack: try stale.delta.negated()) }
        #expect(unsigned.map { "\($0)".contains("entries_signed") } == true, "\(String(describing: unsigned))")
        // eve's signature under andi's key, the line's own amounts: refused.
        try forge(signedBy: eve, takenBack: try stale.delta.negated())
        try expectRefusal(revert + ["--out", "\(shop.directory)/revert-eve"], in: shop, mentioning: ["correction \(stale.idempotencyKey)", "no trusted key signed"])
        // Nor does an export present it as done.
        let export = try shop.remedy(["export", bundle, "--format", "json"])
        #expect(export.exitedNonZero && export.stderrLines.last?.contains("correction \(stale.idempotencyKey)") == true
                && export.stderrLines.last?.contains("no trusted key signed") == true && export.stdout.isEmpty, "\(export)")
        try removeForged()
        // Booked before schema 11 (no signature; the check dropped to stand for that time), for
        // more than the line approved: refused by the line.
        try shop.connection.execute("ALTER TABLE remedy.entries DROP CONSTRAINT entries_signed")
        try forge(signedBy: nil, takenBack: try Money(exactText: "5000000.00"))
        try expectRefusal(revert + ["--out", "\(shop.directory)/revert-old"], in: shop, mentioning: ["correction \(stale.idempotencyKey)", "did not approve"])
        try removeForged()

        // What apply booked itself, signed by andi, reverts.
        let out = "\(shop.directory)/revert"
        try shop.remedy(revert + ["--out", out]).requireSuccess()
        #expect(try shop.readPlan(out).adjustments.count == lines.count - 1, "every applied line, and not the stale one")
    }

    /// An acknowledgement takes a hold out of review in a person's name. One inserted by SQL, in
    /// sari's name with another key's signature or with her signature of another hold, refuses the
    /// plan instead of showing a decision she never made.
    @Test func anAcknowledgementNotSignedByThePersonItNamesRefusesThePlan() throws {
        let shop = try EndToEndShop(users: 200, seed: 77)
        let bundle = try shop.plan()
        let read = try PlanBundle.read(bundle)
        let holds = read.plan.holds
        try #require(holds.count >= 2, "the shop should hold users")
        try shop.remedy(["acknowledge", bundle, "--user", holds[0].userId, "--reason", "known since the audit of 2025-12", "--key", shop.key("sari")])
            .requireSuccess()
        let planArguments = ["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--jobs", shop.jobs]
        let signed = try shop.remedy(planArguments)
        #expect(signed.exitedZero && signed.stdout.contains("acknowledged by sari"), "her own acknowledgement is read\n\(signed)")

        let sari = try SigningKey.load(path: shop.key("sari"))
        let eve = try SigningKey.load(path: shop.key("eve"))
        let hold = holds[1]
        let reason = "known: goodwill credit approved by finance"
        func statement(installation: String) -> Data {
            Acknowledgements.statement(installationId: installation, job: "tripay-double-credit", userId: hold.userId, balance: hold.balance,
                                       ledger: hold.ledger, openReceivables: hold.openReceivables, reason: reason, by: "sari", planDigest: read.digest)
        }
        let here = try Self.installation(shop)
        let herOwn = try #require(try shop.connection.query("SELECT signature FROM remedy.acknowledgements ORDER BY id LIMIT 1").first?.decode(0, as: String.self))
        for (label, signature) in [("eve's signature", try eve.sign(statement(installation: here)).base64EncodedString()),
                                   ("sari's signature of another hold", herOwn),
                                   // Signed by sari in a staging copy (another installation, the same people's keys).
                                   ("sari's signature in another installation", try sari.sign(statement(installation: UUID().uuidString.lowercased())).base64EncodedString())] {
            try shop.connection.execute("""
                INSERT INTO remedy.acknowledgements (job, user_id, balance, ledger, open_receivables, reason, acknowledged_by, public_key, plan_digest, signature)
                VALUES ('tripay-double-credit', $1, $2::numeric, $3::numeric, $4::numeric, $5, 'sari', $6, $7, $8)
                """, [hold.userId, hold.balance, hold.ledger, hold.openReceivables, reason, sari.publicKey.base64, read.digest, signature])
            let plan = try shop.remedy(planArguments)
            #expect(plan.exitedNonZero && plan.stderrLines.last?.contains("in sari's name that sari's trusted key did not sign") == true, "\(label)\n\(plan)")
            try shop.connection.transaction {
                try shop.connection.execute("SET LOCAL session_replication_role = replica")
                try shop.connection.execute("DELETE FROM remedy.acknowledgements WHERE user_id = $1", [hold.userId])
            }
        }
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
