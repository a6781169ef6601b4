import Foundation
import Postgres
import RemedyCore
import Rupiah
import ShopSimulator
import Testing
import TestSupport

/// `remedy evidence` through the real binary against a fake Tripay on loopback built from the
/// simulated shop's truth: what it confirms, what it holds and why, how it behaves on a flaky or
/// refusing gateway, that an interrupted run resumes without asking again, that the answers are
/// bound to the plan's digest, and that the API key shows up nowhere.
@Suite("Gateway evidence", .serialized)
struct GatewayEvidenceTests {
    static let apiKey = "DEV-sk_test_9f8e7d6c5b4a39281706XYZZY"

    struct Setup {
        let shop: EndToEndShop
        let gateway: FakeTripayGateway
        let jobs: JobsDirectoryCopy
        let bundle: String
        var runs: [RemedyRun] = []

        init(users: Int = 150, seed: UInt64 = 41, retries: Int = 4) throws {
            shop = try EndToEndShop(users: users, seed: seed)
            gateway = try FakeTripayGateway(apiKey: GatewayEvidenceTests.apiKey, records: try shop.gatewayRecords())
            jobs = try shop.jobsWithGateway(gateway, retries: retries)
            shop.jobs = jobs.path
            bundle = try shop.plan()
        }

        var environment: [String: String] { [EndToEndShop.gatewayKeyVariable: GatewayEvidenceTests.apiKey] }

        mutating func evidence(_ extra: [String] = [], key: String = GatewayEvidenceTests.apiKey, out: String? = nil) throws -> (RemedyRun, String) {
            let out = out ?? "\(shop.directory)/checked-\(UUID().uuidString.prefix(8))"
            let run = try shop.remedy(["evidence", bundle, "--key", shop.key("andi"), "--out", out, "--jobs", jobs.path] + extra,
                                      environment: [EndToEndShop.gatewayKeyVariable: key])
            runs.append(run)
            return (run, out)
        }

        /// The references the plan's corrections name, by user.
        func correctedReferences() throws -> [(user: String, reference: String, topUp: TopUpAttribution)] {
            try shop.readPlan(bundle).adjustments.flatMap { line in line.attribution.topUps.map { (line.userId, $0.reference, $0) } }
        }

        /// No output, no file under the shop's directory and no row of remedy's tables holds the key.
        func requireKeyNowhere() throws {
            for run in runs {
                #expect(!run.stdout.contains(GatewayEvidenceTests.apiKey) && !run.stderr.contains(GatewayEvidenceTests.apiKey), "the API key leaked: \(run)")
            }
            let files = FileManager.default.enumerator(atPath: shop.directory)?.compactMap { $0 as? String } ?? []
            #expect(!files.isEmpty)
            for file in files {
                let data = FileManager.default.contents(atPath: "\(shop.directory)/\(file)") ?? Data()
                #expect(data.range(of: Data(GatewayEvidenceTests.apiKey.utf8)) == nil, "the API key is in \(file)")
            }
            for table in ["remedy.plans", "remedy.audit_log", "remedy.approvals"] {
                let leaks = try shop.connection.query("SELECT count(*) FROM \(table) t WHERE row_to_json(t)::text LIKE '%' || $1 || '%'",
                                                      [GatewayEvidenceTests.apiKey])[0].decode(0, as: Int.self)
                #expect(leaks == 0, "the API key is in \(table)")
            }
        }
    }

    @Test func aCleanShopIsConfirmedLineByLineAndTheAnswersAreSignedWithTheNewPlan() throws {
        var setup = try Setup()
        let original = try setup.shop.readPlan(setup.bundle)
        try #require(original.adjustments.count >= 5, "the simulated shop needs corrections to check")
        let (run, out) = try setup.evidence(["--log-format", "json"])
        try run.requireSuccess()
        #expect(run.stdoutLines.last == out)

        let checked = try PlanBundle.read(out)
        let gateway = try #require(checked.plan.gateway)
        #expect(gateway.checkedPlan == (try PlanBundle.read(setup.bundle)).digest)
        #expect(checked.digest != gateway.checkedPlan)
        #expect(checked.plan.adjustments == original.adjustments, "a clean shop loses no correction to the gateway check")
        let verdicts = Dictionary(checked.plan.allGatewayChecks.map { ($0.reference, $0) }, uniquingKeysWith: { first, _ in first })
        for (user, reference, _) in try setup.correctedReferences() {
            #expect(verdicts[reference]?.verdict == .confirmed, "user \(user)'s \(reference): \(String(describing: verdicts[reference]))")
        }
        // Every line of the summary is marked, every correction confirmed.
        let show = try setup.shop.remedy(["show", out, "--all"]).requireSuccess()
        setup.runs.append(show)
        let marked = show.stdoutLines.filter { $0.hasPrefix("- ") || $0.hasPrefix("+ ") }
        #expect(marked.count == original.adjustments.count)
        #expect(marked.allSatisfy { $0.hasSuffix("[gateway-confirmed]") }, "\(show)")
        // One stored answer per reference asked, each asked once, with the key in the header only.
        let files = try FileManager.default.contentsOfDirectory(atPath: out + "/evidence")
        #expect(files.count == Set(checked.plan.allGatewayChecks.filter { $0.sha256 != nil }.map(\.reference)).count)
        #expect(setup.gateway.askedReferences.count == Set(setup.gateway.askedReferences).count)
        #expect(setup.gateway.requests.allSatisfy { $0.headers["authorization"] == "Bearer \(GatewayEvidenceTests.apiKey)" })
        #expect(setup.gateway.requests.allSatisfy { !$0.path.contains(GatewayEvidenceTests.apiKey) })

        // The report finance reads marks the lines the same way.
        let report = "\(setup.shop.directory)/proposal.html"
        setup.runs.append(try setup.shop.remedy(["export", out, "--format", "html", "--out", report]).requireSuccess())
        let html = try String(contentsOfFile: report, encoding: .utf8)
        // Every correction, and the holds whose top-ups were all confirmed too; none disagrees.
        #expect(html.components(separatedBy: "<span class=\"gateway\">gateway-confirmed</span>").count - 1 >= original.adjustments.count)
        #expect(!html.contains("<span class=\"gateway\">disagrees</span>"))

        // Approvals of the unchecked plan do not count for the checked one.
        try setup.shop.approve(setup.bundle)
        for file in try FileManager.default.contentsOfDirectory(atPath: setup.bundle + "/approvals") {
            try FileManager.default.copyItem(atPath: "\(setup.bundle)/approvals/\(file)", toPath: "\(out)/approvals/\(file)")
        }
        let before = try DatabaseFingerprint.take(setup.shop)
        let apply = try setup.shop.apply(out)
        setup.runs.append(apply)
        #expect(apply.status == 3, "approvals of the old digest must not carry over: \(apply)")
        #expect(try DatabaseFingerprint.take(setup.shop) == before)
        try setup.requireKeyNowhere()
    }

    @Test func eachDisagreementIsHeldWithTheFieldAndBothValues() throws {
        var setup = try Setup(seed: 43)
        // Five corrections of five different users, one disagreement each.
        var seen: Set<String> = []
        let picks = try setup.correctedReferences().filter { seen.insert($0.user).inserted }.prefix(5)
        try #require(picks.count == 5, "the simulated shop needs five corrected users")
        let (received, late, expired, unpaid, unknown) = (picks[picks.startIndex], picks[picks.startIndex + 1], picks[picks.startIndex + 2],
                                                           picks[picks.startIndex + 3], picks[picks.startIndex + 4])
        setup.gateway.change(received.reference) { $0.amountReceived -= 1_000 }
        setup.gateway.change(late.reference) { $0.paidAt = $0.paidAt.map { $0 + 7_200 } }
        setup.gateway.change(expired.reference) { $0.status = "EXPIRED" }
        setup.gateway.change(unpaid.reference) { $0.status = "UNPAID" }
        setup.gateway.forget(unknown.reference)
        // A top-up the shop never completed that Tripay shows paid: the shop owes that user.
        let owed = try #require(try setup.shop.connection.query("""
            SELECT tripay_reference, user_id::text FROM transactions
             WHERE transaction_type = 'topup' AND status <> 'completed' AND tripay_reference IS NOT NULL
               AND completed_at IS NULL AND created_at >= $1::timestamptz AND created_at < $2::timestamptz
             ORDER BY tripay_reference LIMIT 1
            """, [Timestamp(date: setup.shop.options.bugWindowStart).description, Timestamp(date: setup.shop.options.bugWindowEnd).description]).first,
            "the simulated window needs a top-up the shop never completed")
        let owedReference = try owed.decode(0, as: String.self)
        setup.gateway.change(owedReference) { $0.status = "PAID"; $0.paidAt = 1_764_000_000 }

        let original = try setup.shop.readPlan(setup.bundle)
        let (run, out) = try setup.evidence(["--json"])
        try run.requireSuccess()
        let checked = try PlanBundle.read(out).plan
        #expect(checked.adjustments.count == original.adjustments.count - 5)
        #expect(checked.totals.holdCount == original.totals.holdCount + 5)

        func held(_ user: String) -> HeldLine? { checked.holds.first { $0.userId == user } }
        let tolerance = 300
        let shopPaidAt = try Timestamp(iso8601: late.topUp.paidAt)
        let expectations: [(String, String)] = [
            (received.user, "\(received.reference) amount_received: \(received.topUp.amountReceived.rupiah) in the shop, \(try received.topUp.amountReceived.subtracting(Money(rupiah: 1_000)).rupiah) at the gateway"),
            (late.user, "\(late.reference) paid_at: \(shopPaidAt) in the shop, \(shopPaidAt.adding(seconds: 7_200)) at the gateway (7200 s apart, tolerance \(tolerance) s)"),
            (expired.user, "\(expired.reference) status: PAID expected (the shop completed it), EXPIRED at the gateway"),
            (unpaid.user, "\(unpaid.reference) status: PAID expected (the shop completed it), UNPAID at the gateway"),
            (unknown.user, "\(unknown.reference): the gateway does not know this reference (HTTP 404: Transaksi tidak ditemukan)"),
        ]
        for (user, reason) in expectations {
            let line = try #require(held(user), "user \(user) is not held")
            #expect(line.reason == .gatewayDisagrees)
            #expect(line.explanation.contains(reason), "\(line.explanation)\nexpected: \(reason)")
        }
        #expect(checked.allGatewayChecks.first { $0.reference == owedReference }?.verdict == .owedByShop)
        #expect(run.stdout.contains("\"owed-by-shop\""))

        let show = try setup.shop.remedy(["show", out, "--all"]).requireSuccess()
        setup.runs.append(show)
        #expect(show.stdout.contains("never completed by the shop (the shop owes these users"), "\(show)")
        #expect(show.stdoutLines.filter { $0.contains("[gatewayDisagrees]") && $0.hasSuffix("[disagrees]") }.count == 5, "\(show)")
        try setup.requireKeyNowhere()
    }

    /// A shop writing WIB wall times into columns without a zone, and keeping no paid_at in its
    /// stored callbacks (so check has nothing to measure the columns against): read as UTC, every
    /// paid_at is seven hours from the gateway's and each correction is held for it; with the
    /// zone named in schema.transactions.local_time_zone, the gateway confirms every one.
    @Test func wallTimesAgreeWithTheGatewayOnlyReadInTheShopsZone() throws {
        let shop = try EndToEndShop(users: 150, seed: 45, schema: SchemaVariant(naiveTimestampsZone: "Asia/Jakarta"))
        try shop.connection.executeScript("""
            ALTER TABLE transactions DISABLE TRIGGER USER;
            UPDATE transactions SET tripay_callback_data = tripay_callback_data - 'paid_at' WHERE tripay_callback_data ? 'paid_at';
            ALTER TABLE transactions ENABLE TRIGGER USER;
            """)
        let gateway = try FakeTripayGateway(apiKey: Self.apiKey, records: try shop.gatewayRecords(paidAtZone: "Asia/Jakarta"))
        let jobs = try shop.jobsWithGateway(gateway)
        shop.jobs = jobs.path
        func evidence(_ bundle: String) throws -> Plan {
            let out = "\(shop.directory)/checked-\(UUID().uuidString.prefix(8))"
            try shop.remedy(["evidence", bundle, "--key", shop.key("andi"), "--out", out, "--jobs", jobs.path],
                            environment: [EndToEndShop.gatewayKeyVariable: Self.apiKey]).requireSuccess()
            return try PlanBundle.read(out).plan
        }

        let misread = try shop.readPlan(try shop.plan())
        try #require(misread.adjustments.count > 5)
        let held = try evidence(shop.plan())
        #expect(held.adjustments.isEmpty, "every correction rests on a paid_at seven hours off")
        #expect(held.holds.contains { $0.reason == .gatewayDisagrees && $0.explanation.contains("(25200 s apart, tolerance 300 s)") })

        let yaml = jobs.path + "/tripay-double-credit/job.yaml"
        let text = try String(contentsOfFile: yaml, encoding: .utf8)
        try #require(text.contains("    callback: tripay_callback_data  #"))
        try text.replacingOccurrences(of: "    callback: tripay_callback_data  #", with: "    local_time_zone: Asia/Jakarta\n    callback: tripay_callback_data  #")
            .write(toFile: yaml, atomically: true, encoding: .utf8)
        let bundle = try shop.plan()
        let planned = try shop.readPlan(bundle)
        let confirmed = try evidence(bundle)
        #expect(confirmed.adjustments.count == planned.adjustments.count && planned.adjustments.count > 5)
        let verdicts = confirmed.allGatewayChecks.map(\.verdict)
        #expect(!verdicts.isEmpty && !verdicts.contains(.disagrees) && !verdicts.contains(.unknown), "\(confirmed.allGatewayChecks.filter { $0.verdict != .confirmed }.prefix(3))")
    }

    @Test func aFlakyGatewayIsRetriedAndARefusedKeyStopsWithOneLineChangingNothing() throws {
        var setup = try Setup(seed: 47)
        // 401: one line, exit 1, no bundle, nothing in the database, the key nowhere.
        let before = try DatabaseFingerprint.take(setup.shop)
        let (refused, refusedOut) = try setup.evidence(key: "DEV-wrong-key-0000")
        #expect(refused.status == 1, "\(refused)")
        let errorLines = refused.stderrLines.filter { $0.hasPrefix("remedy: error:") }
        #expect(errorLines.count == 1 && errorLines[0].contains("refused the API key in $TRIPAY_API_KEY (HTTP 401"), "\(refused)")
        #expect(refused.stderrLines.count <= 2, "one progress line at most besides the error: \(refused)")
        #expect(!refused.stderr.contains("DEV-wrong-key-0000"))
        #expect(!FileManager.default.fileExists(atPath: refusedOut))
        #expect(try DatabaseFingerprint.take(setup.shop) == before)
        #expect(setup.gateway.requests.count == 1, "a refused key is not retried")
        try setup.shop.remedy(["audit", "verify"]).requireSuccess()

        // 429 and 5xx: retried, then every answer arrives.
        setup.gateway.failNext([429, 500, 503])
        let asked = setup.gateway.requests.count
        let (run, out) = try setup.evidence()
        try run.requireSuccess()
        let references = Set(try PlanBundle.read(out).plan.allGatewayChecks.filter { $0.sha256 != nil }.map(\.reference))
        #expect(setup.gateway.requests.count - asked == references.count + 3)
        try setup.requireKeyNowhere()
    }

    @Test func planWithGatewayEvidenceWritesTheCheckedPlanWhereAskedAndRefusesWithoutAKey() throws {
        var setup = try Setup(seed: 61)
        let before = try DatabaseFingerprint.take(setup.shop)
        let missing = "\(setup.shop.directory)/no-key"
        let refused = try setup.shop.remedy(["plan", "tripay-double-credit"] + setup.shop.windowParameters
                                            + ["--key", setup.shop.key("andi"), "--out", missing, "--jobs", setup.jobs.path, "--gateway-evidence"])
        setup.runs.append(refused)
        #expect(refused.status == 1 && refused.stderrLines.filter { $0.hasPrefix("remedy: error:") }.count == 1
                && refused.stderr.contains("$TRIPAY_API_KEY is empty"), "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: missing) && !FileManager.default.fileExists(atPath: missing + "-unchecked"))
        #expect(try DatabaseFingerprint.take(setup.shop) == before)

        let out = "\(setup.shop.directory)/checked-in-one-go"
        let run = try setup.shop.remedy(["plan", "tripay-double-credit"] + setup.shop.windowParameters
                                        + ["--key", setup.shop.key("andi"), "--out", out, "--jobs", setup.jobs.path, "--gateway-evidence", "--json"],
                                        environment: setup.environment).requireSuccess()
        setup.runs.append(run)
        let checked = try PlanBundle.read(out)
        let unchecked = try PlanBundle.read(out + "-unchecked")
        #expect(checked.plan.gateway?.checkedPlan == unchecked.digest)
        #expect(unchecked.plan.gateway == nil)
        let output = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(output?["bundle"] as? String == out)
        #expect(output?["checked_plan"] as? String == unchecked.digest)
        try setup.requireKeyNowhere()
    }

    @Test func anInterruptedRunResumesWithoutAskingAgain() throws {
        var setup = try Setup(seed: 53, retries: 1)
        setup.gateway.outage(after: 4)
        let out = "\(setup.shop.directory)/checked-resumed"
        let (interrupted, _) = try setup.evidence(out: out)
        #expect(interrupted.status == 1, "\(interrupted)")
        #expect(interrupted.stderr.contains("did not answer"), "\(interrupted)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let answeredFirst = Array(setup.gateway.askedReferences.prefix(4))

        setup.gateway.endOutage()
        let askedBefore = setup.gateway.requests.count
        let (resumed, _) = try setup.evidence(out: out)
        try resumed.requireSuccess()
        // The local steps are said (at 1,000,000 users they took minutes with no request to show).
        #expect(resumed.stderr.contains("remedy: evidence: reading 4 answer(s) kept from an earlier run"), "\(resumed)")
        #expect(resumed.stderr.contains("remedy: evidence: comparing "), "\(resumed)")
        let askedAgain = Array(setup.gateway.askedReferences.dropFirst(askedBefore))
        #expect(Set(askedAgain).isDisjoint(with: answeredFirst), "answers kept from the interrupted run were asked for again")
        let plan = try PlanBundle.read(out).plan
        let all = Set(plan.allGatewayChecks.filter { $0.sha256 != nil }.map(\.reference))
        #expect(all.isSuperset(of: answeredFirst))
        #expect(askedAgain.count == all.count - answeredFirst.count)
        #expect(!FileManager.default.fileExists(atPath: setup.bundle + "/" + GatewayEvidenceRun.stagingDirectory), "the kept answers are cleaned up once in the new bundle")
        try setup.requireKeyNowhere()
    }

    /// The shop's reference column is copied from callbacks: one that is not what a gateway issues
    /// (here a line break, or U+2028, at its end) is never asked about and names no file; its check
    /// says why, and the run goes on.
    @Test func aReferenceNoGatewayIssuesIsNeverAskedAboutAndNamesNoFile() throws {
        let shop = try EndToEndShop(users: 150, seed: 61)
        // Two top-ups that corrections name, found by a first plan, get the odd references.
        let first = try shop.readPlan(try shop.plan())
        let named = Array(Set(first.adjustments.flatMap { $0.attribution.topUps.map(\.transactionId) }).sorted().prefix(2))
        try #require(named.count == 2, "the simulated shop needs two corrected top-ups")
        var odd: [String: String] = [:]
        try shop.connection.execute("SET session_replication_role = replica")  // no trigger sees the edit
        for (id, ending) in zip(named, ["\n", "\u{2028}"]) {
            let row = try #require(try shop.connection.query(
                "UPDATE transactions SET tripay_reference = tripay_reference || $2 WHERE id::text = $1 RETURNING tripay_reference", [id, ending]).first)
            odd[id] = try row.decode(0, as: String.self)
        }
        try shop.connection.execute("SET session_replication_role = DEFAULT")
        let gateway = try FakeTripayGateway(apiKey: GatewayEvidenceTests.apiKey, records: try shop.gatewayRecords())
        let jobs = try shop.jobsWithGateway(gateway)
        shop.jobs = jobs.path
        let bundle = try shop.plan()
        let out = "\(shop.directory)/checked"
        let run = try shop.remedy(["evidence", bundle, "--key", shop.key("andi"), "--out", out, "--jobs", jobs.path],
                                  environment: [EndToEndShop.gatewayKeyVariable: GatewayEvidenceTests.apiKey])
        try run.requireSuccess()

        let checks = try PlanBundle.read(out).plan.allGatewayChecks
        for (id, reference) in odd {
            let check = try #require(checks.first { $0.transactionId == id }, "top-up \(id) was not checked")
            #expect(check.reference == reference)
            #expect(check.verdict == .notChecked && check.sha256 == nil, "\(check)")
            #expect(check.reason?.contains("not one a gateway issues") == true, "\(check)")
            let stem = String(reference.dropLast())
            #expect(!gateway.askedReferences.contains { $0.hasPrefix(stem) }, "\(reference.debugDescription) was asked about")
        }
        #expect(!gateway.askedReferences.isEmpty)
        let files = try FileManager.default.contentsOfDirectory(atPath: out + "/evidence")
        #expect(!files.isEmpty && files.allSatisfy { $0.utf8.allSatisfy { (0x21...0x7e).contains($0) } }, "\(files)")
    }

    @Test func answersAreBoundToTheDigestAddedRemovedOrAlteredIsRefused() throws {
        var setup = try Setup(seed: 59)
        let (run, out) = try setup.evidence()
        try run.requireSuccess()
        let directory = out + "/evidence"
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).sorted().first)
        let original = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)"))

        func expectRefused(_ what: String) throws {
            let show = try setup.shop.remedy(["show", out])
            #expect(show.status == 3 && show.stderr.contains("evidence/"), "\(what) went unnoticed: \(show)")
        }
        let altered = Data(String(decoding: original, as: UTF8.self).replacingOccurrences(of: "success", with: "sukcess").utf8)
        try altered.write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
        try expectRefused("an altered answer")
        try FileManager.default.removeItem(atPath: "\(directory)/\(name)")
        try expectRefused("a removed answer")
        #expect(mkfifo("\(directory)/\(name)", 0o600) == 0)
        let fifo = try setup.shop.remedy(["show", out])
        #expect(fifo.status == 3 && fifo.stderr.contains("\(name) is not a regular file"), "an answer that is a FIFO went unnoticed: \(fifo)")
        try FileManager.default.removeItem(atPath: "\(directory)/\(name)")
        try original.write(to: URL(fileURLWithPath: "\(directory)/\(name)"))
        try setup.shop.remedy(["show", out]).requireSuccess()
        try original.write(to: URL(fileURLWithPath: "\(directory)/T0000EXTRA.json"))
        try expectRefused("an added answer")
        // A plan without evidence refuses an evidence directory slipped into its bundle.
        try FileManager.default.createDirectory(atPath: setup.bundle + "/evidence", withIntermediateDirectories: true)
        try original.write(to: URL(fileURLWithPath: "\(setup.bundle)/evidence/\(name)"))
        let show = try setup.shop.remedy(["show", setup.bundle])
        #expect(show.status == 3, "\(show)")
    }

    /// The checks are plan.json's fourth line array (format v2), read in one form only; a bundle
    /// filed before (v1, the list in the plan's header) still reads, and marks its lines the same.
    /// Each forgery is signed by the real planner's key, so only the reader's form rules stand in the way.
    @Test func theChecksAreReadInOneFormAndAFiledV1BundleStillReads() throws {
        var setup = try Setup(seed: 67)
        let (run, out) = try setup.evidence()
        try run.requireSuccess()
        let checked = try PlanBundle.read(out).plan
        #expect(checked.format == Plan.currentFormat && checked.gateway?.references == nil)
        let checks = try #require(checked.gatewayChecks)
        try #require(checks.count >= 3)
        #expect(zip(checks, checks.dropFirst()).allSatisfy { ($0.reference, $0.transactionId) < ($1.reference, $1.transactionId) })

        func forged(_ plan: Plan) throws -> String {
            let (path, _) = try PlanForgery.record(try PlanForgery.encode(plan), claiming: plan, signedWith: setup.shop.key("andi"), in: setup.shop)
            try FileManager.default.copyItem(atPath: out + "/evidence", toPath: path + "/evidence")
            return path
        }
        func marks(_ bundle: String) throws -> [String] {
            let show = try setup.shop.remedy(["show", bundle, "--all"]).requireSuccess()
            setup.runs.append(show)
            return show.stdoutLines.filter { $0.hasSuffix("]") && ($0.hasPrefix("- ") || $0.hasPrefix("+ ") || $0.hasPrefix("! ")) }
        }
        var v1 = checked
        v1.format = Plan.formatV1
        v1.gateway?.references = checks
        v1.gatewayChecks = nil
        let filed = try forged(v1)
        let filedMarks = try marks(filed)
        let currentMarks = try marks(out)
        #expect(!filedMarks.isEmpty && filedMarks == currentMarks, "a v1 bundle's lines are marked as the same plan in v2")
        setup.runs.append(try setup.shop.remedy(["export", filed, "--format", "html", "--out", "\(setup.shop.directory)/filed.html"]).requireSuccess())

        func expectRefused(_ plan: Plan, _ what: String, saying expected: String) throws {
            let show = try setup.shop.remedy(["show", try forged(plan)])
            setup.runs.append(show)
            #expect(show.status == 3 && show.stderr.contains(expected), "\(what): \(show)")
        }
        var swapped = checked
        swapped.gatewayChecks?.swapAt(0, 1)
        try expectRefused(swapped, "two checks swapped", saying: "gateway check 2 is out of order")
        var repeated = checked
        repeated.gatewayChecks?.insert(checks[0], at: 1)
        try expectRefused(repeated, "a check repeated", saying: "gateway check 2 is out of order")
        var both = checked
        both.gateway?.references = checks
        try expectRefused(both, "a v2 plan with the list in its header too", saying: "keeps its gateway checks in gateway_checks")
        var orphan = checked
        orphan.gateway = nil
        try expectRefused(orphan, "checks without a gateway cross-check", saying: "records no gateway cross-check")
        var mixed = v1
        mixed.gatewayChecks = [checks[0]]
        try expectRefused(mixed, "a v1 plan with a gateway_checks array", saying: "has no gateway_checks array")
    }
}
