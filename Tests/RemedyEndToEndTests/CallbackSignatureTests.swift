import Foundation
import Postgres
import RemedyCore
import ShopSimulator
import Testing

/// Issue 14, stored raw callbacks: where the shop kept each Tripay callback's body and its
/// X-Callback-Signature, remedy verifies them with the merchant's private key (from the variable
/// the spec names) before a correction rests on the top-up, through the real binary.
@Suite("Stored callback signatures: verified, forged, altered, unverifiable")
struct CallbackSignatureTests {
    static let users = 300
    static let keyVariable = "TRIPAY_PRIVATE_KEY"

    /// The job with the signed raw callbacks mapped (`rawBody: nil`: the signature over the jsonb
    /// callback column alone).
    static func jobs(rawBody: String? = "tripay_callback_raw") throws -> JobsDirectoryCopy {
        let anchor = "    callback: tripay_callback_data  # the raw Tripay callback (jsonb); optional\n"
        return try JobsDirectoryCopy(replacing: anchor, with: anchor + """
                callback_signature:
                  signature: tripay_callback_signature
            \(rawBody.map { "      raw_body: \($0)\n" } ?? "")      private_key_env: \(keyVariable)

            """)
    }

    /// A merchant key no output may contain.
    static func newKey() -> String { "DEV-merchant-\(UUID().uuidString)" }

    final class SignedShop {
        let shop: EndToEndShop
        let key: String
        let jobs: JobsDirectoryCopy
        /// Every run, for the secret's grep.
        var runs: [RemedyRun] = []

        init(seed: UInt64, forged: Int = 0, altered: Int = 0, unsigned: Int = 0, rawBody: String? = "tripay_callback_raw") throws {
            key = CallbackSignatureTests.newKey()
            shop = try EndToEndShop(users: CallbackSignatureTests.users, seed: seed,
                                    signedCallbacks: SignedCallbacks(privateKey: key, forged: forged, altered: altered, unsigned: unsigned))
            jobs = try CallbackSignatureTests.jobs(rawBody: rawBody)
            shop.jobs = jobs.path
        }

        var environment: [String: String] { [CallbackSignatureTests.keyVariable: key] }

        @discardableResult
        func remedy(_ arguments: [String], withKey: Bool = true) throws -> RemedyRun {
            let run = try shop.remedy(arguments, environment: withKey ? environment : [:])
            runs.append(run)
            return run
        }

        func check(json: Bool = false) throws -> RemedyRun {
            try remedy(["check", "tripay-double-credit"] + shop.windowParameters + ["--jobs", jobs.path] + (json ? ["--json"] : []))
        }

        func plan(jobsPath: String? = nil) throws -> (bundle: String, plan: Plan, run: RemedyRun) {
            let out = "\(shop.directory)/plan-\(UUID().uuidString.prefix(8))"
            let run = try remedy(["plan", "tripay-double-credit"] + shop.windowParameters
                                 + ["--key", shop.key("andi"), "--out", out, "--jobs", jobsPath ?? jobs.path]).requireSuccess()
            return (out, try shop.readPlan(out), run)
        }

        /// (reference, user id, how) as the simulator tampered them.
        func tampered() throws -> [(reference: String, userId: String, how: String)] {
            try shop.connection.query("SELECT reference, user_id::text, how FROM simulator.tampered_callbacks ORDER BY reference").map {
                (try $0.decode(0), try $0.decode(1), try $0.decode(2))
            }
        }

        /// Paid top-ups in the window by tripay_paid_at, as the job counts them.
        func paidWindowTopups() throws -> Int {
            try shop.connection.query("""
                SELECT count(*)::int FROM public.transactions
                 WHERE transaction_type = 'topup' AND status = 'completed' AND tripay_reference IS NOT NULL
                   AND tripay_paid_at >= $1 AND tripay_paid_at < $2
                """, [shop.options.bugWindowStart, shop.options.bugWindowEnd])[0].decode(0)
        }

        /// The key appears in no output and no file remedy wrote.
        func expectKeyNowhere(_ comment: Comment? = nil) throws {
            for run in runs {
                #expect(!run.stdout.contains(key) && !run.stderr.contains(key), "the merchant key was printed: \(run.arguments)")
            }
            let files = FileManager.default.enumerator(atPath: shop.directory)?.compactMap { $0 as? String } ?? []
            #expect(!files.isEmpty)
            for file in files {
                guard let data = FileManager.default.contents(atPath: "\(shop.directory)/\(file)") else { continue }
                #expect(!String(decoding: data, as: UTF8.self).contains(key), "the merchant key is in \(file)")
            }
            let audit = try shop.connection.query("SELECT count(*)::int FROM remedy.audit_log WHERE content LIKE '%' || $1 || '%'", [key])
            #expect(try audit[0].decode(0, as: Int.self) == 0, "the merchant key is in the audit log")
        }
    }

    @Test func aCleanShopsCallbacksAllVerifyAndNothingIsHeldForThem() throws {
        let signed = try SignedShop(seed: 141)
        let paid = try signed.paidWindowTopups()
        try #require(paid > 50)
        let check = try signed.check()
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("\(paid) of \(paid) paid window top-ups: the stored callback's signature verifies with $\(Self.keyVariable)"), "\(check)")

        let verified = try signed.plan()
        let stock = try signed.plan(jobsPath: RemedyProcess.jobsDirectory)
        #expect(verified.plan.holds.filter { $0.reason == .callbackUnverified }.isEmpty)
        #expect(!verified.plan.adjustments.isEmpty)
        #expect(verified.plan.adjustments.map(\.userId) == stock.plan.adjustments.map(\.userId), "verification changed a clean shop's plan")
        #expect(verified.plan.totals.toTakeBack == stock.plan.totals.toTakeBack)

        // The body kept as bytea, or as json (which keeps its input text), verifies the same.
        for (type, conversion) in [("bytea", "convert_to(tripay_callback_raw, 'UTF8')"), ("json", "convert_from(tripay_callback_raw, 'UTF8')::json")] {
            try signed.shop.connection.execute("ALTER TABLE public.transactions ALTER COLUMN tripay_callback_raw TYPE \(type) USING \(conversion)")
            let again = try signed.check()
            #expect(again.status == 0, "\(type): \(again)")
            #expect(again.stdout.contains("\(paid) of \(paid) paid window top-ups: the stored callback's signature verifies"), "\(type): \(again)")
        }
        try signed.expectKeyNowhere()
    }

    @Test func forgedAlteredAndUnsignedCallbacksAreReportedAndTheirCorrectionsHeld() throws {
        let signed = try SignedShop(seed: 142, forged: 2, altered: 2, unsigned: 1)
        let tampered = try signed.tampered()
        try #require(tampered.count == 5, "the simulator tampered five callbacks")
        let paid = try signed.paidWindowTopups()

        // check: a warning (exit 2) naming every forged or altered reference and the unsigned one.
        let check = try signed.check()
        #expect(check.status == 2, "\(check)")
        #expect(check.stdout.contains("\(paid - 5) of \(paid) paid window top-ups: the stored callback's signature verifies"), "\(check)")
        let mismatchLine = try #require(check.stdoutLines.first { $0.contains("4 stored callback(s) fail their signature, forged or altered") }, "\(check)")
        let missingLine = try #require(check.stdoutLines.first { $0.contains("1 paid window top-up(s) have no stored signature or body") }, "\(check)")
        for entry in tampered {
            #expect((entry.how == "unsigned" ? missingLine : mismatchLine).contains(entry.reference), "\(entry)")
        }
        let json = try signed.check(json: true)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let findings = try #require((report["report"] as? [String: Any])?["findings"] as? [[String: Any]])
        let mismatchFacts = try #require(findings.first { $0["severity"] as? String == "warning" && ($0["facts"] as? [String: String])?["mismatched"] == "4" }?["facts"] as? [String: String])
        #expect(mismatchFacts["references"] == tampered.filter { $0.how != "unsigned" }.map(\.reference).sorted().joined(separator: ","))

        // plan: without verification these users are corrected; with it each is held, naming the
        // reference and what failed, in plan.json as the one reader reads it.
        let stock = try signed.plan(jobsPath: RemedyProcess.jobsDirectory)
        let verified = try signed.plan()
        let stockAdjusted = Set(stock.plan.adjustments.map(\.userId))
        let held = Dictionary(uniqueKeysWithValues: verified.plan.holds.map { ($0.userId, $0) })
        for entry in tampered {
            #expect(stockAdjusted.contains(entry.userId), "\(entry) is corrected when nothing is verified")
            let hold = try #require(held[entry.userId], "\(entry) is not held")
            #expect(hold.reason == .callbackUnverified, "\(entry): \(hold.reason)")
            #expect(hold.explanation.contains(entry.reference), "\(hold.explanation)")
            #expect(hold.explanation.contains(entry.how == "unsigned" ? "no stored signature or body" : "signature mismatch: forged, or altered after Tripay signed it"),
                    "\(hold.explanation)")
            #expect(hold.closest != nil)
        }
        #expect(verified.plan.holds.filter { $0.reason == .callbackUnverified }.count == tampered.count)
        #expect(verified.plan.adjustments.count == stock.plan.adjustments.count - tampered.count)
        #expect(verified.plan.warnings.contains { $0.contains("4 stored callback(s) fail their signature") }, "\(verified.plan.warnings)")
        #expect(verified.run.stdout.contains("[callbackUnverified]"), "\(verified.run)")
        // Every reader takes the bundle: show, and approve and apply move only what verified.
        try signed.remedy(["show", verified.bundle]).requireSuccess()
        for name in ["sari", "budi"] { try signed.remedy(["approve", verified.bundle, "--key", signed.shop.key(name)]).requireSuccess() }
        let before = try signed.shop.balances()
        try signed.remedy(["apply", verified.bundle, "--key", signed.shop.key("andi"), "--jobs", signed.jobs.path]).requireSuccess()
        let after = try signed.shop.balances()
        for entry in tampered { #expect(after[entry.userId] == before[entry.userId], "\(entry) was moved") }
        try signed.remedy(["audit", "verify"]).requireSuccess()
        try signed.expectKeyNowhere()
    }

    @Test func aSignatureOverTheJsonbCopyIsUnverifiableNotForged() throws {
        let signed = try SignedShop(seed: 143, forged: 1, rawBody: nil)
        let check = try signed.check()
        #expect(check.status == 2, "\(check)")
        let line = try #require(check.stdoutLines.first { $0.contains("the stored callback signatures cannot be verified") }, "\(check)")
        #expect(line.contains("tripay_callback_data is jsonb"), "\(line)")
        #expect(!check.stdout.contains("forged or altered after"), "\(check)")
        let verified = try signed.plan()
        #expect(verified.plan.holds.filter { $0.reason == .callbackUnverified }.isEmpty)
        #expect(verified.plan.warnings.contains { $0.contains("cannot be verified") }, "\(verified.plan.warnings)")
        try signed.expectKeyNowhere()
    }

    @Test func aMissingKeyVariableRefusesCheckAndPlanWithOneLineAndChangesNothing() throws {
        let signed = try SignedShop(seed: 144)
        let before = try DatabaseFingerprint.take(signed.shop)
        let check = try signed.remedy(["check", "tripay-double-credit"] + signed.shop.windowParameters + ["--jobs", signed.jobs.path], withKey: false)
        let out = "\(signed.shop.directory)/refused-plan"
        let plan = try signed.remedy(["plan", "tripay-double-credit"] + signed.shop.windowParameters
                                     + ["--key", signed.shop.key("andi"), "--out", out, "--jobs", signed.jobs.path], withKey: false)
        for run in [check, plan] {
            #expect(run.status == 1, "\(run)")
            #expect(run.stderrLines.count == 1, "\(run)")
            #expect(run.stderr.contains("$\(Self.keyVariable) is not set"), "\(run)")
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        let after = try DatabaseFingerprint.take(signed.shop)
        #expect(after == before, "\(after.differences(from: before))")
        try signed.remedy(["audit", "verify"]).requireSuccess()
    }
}
