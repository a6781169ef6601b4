import Foundation
import Postgres
import Rupiah
import ShopSimulator
import Testing
import RemedyCore

/// Shops shaped like real deployments (issue 11): each adapted by its job.yaml alone, `remedy check`
/// says what it should about each, and the double-credit job corrects exactly what the
/// simulator's truth calls the bug's alone, through the real binary.
@Suite("Schema variants: remedy check and the double-credit job")
struct SchemaVariantTests {
    static let users = 300

    @Test(arguments: [61, 71] as [UInt64])
    func purchasesWithoutCompletedAtAreFoundByCheckAndAdaptedByAFallbackList(seed: UInt64) throws {
        let shop = try VariantShop(seed: seed, schema: SchemaVariant(purchasesWithoutCompletedAt: true))
        let completedPurchases = try shop.scalar("SELECT count(*) FROM public.transactions WHERE transaction_type = 'purchase' AND status = 'completed'")
        try #require(completedPurchases > 100)

        // As shipped: check warns, names the NULL rate on the rows it is used for and the fix.
        let warned = try shop.check()
        #expect(warned.status == 2, "\(warned)")
        #expect(warned.stdout.contains("completed_at is NULL for \(completedPurchases) of \(completedPurchases) completed purchases: lost-update evidence unavailable"), "\(warned)")
        #expect(warned.stdout.contains("map [completed_at, created_at]"), "\(warned)")
        // plan says the same, in its summary and in plan.json for the approvers; the lost-update
        // users are held as unexplained.
        try shop.initialize()
        let unadapted = try shop.plan()
        let warning = try #require(unadapted.plan.warnings.first { $0.contains("completed_at is NULL") })
        #expect(unadapted.summary.contains(warning))
        // ... and in the export: the HTML page (escaped) and the CSV written beside it, which the page links.
        let page = shop.shop.directory + "/proposal.html"
        try shop.shop.remedy(["export", unadapted.bundle, "--format", "html", "--out", page, "--offline"]).requireSuccess()
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("id=\"warnings\"") && html.contains(HTMLReport.escape(warning)), "the warning is on the page")
        #expect(html.contains("<a href=\"proposal.csv\">proposal.csv</a>"))
        let besideCSV = try String(contentsOfFile: shop.shop.directory + "/proposal.csv", encoding: .utf8)
        #expect(besideCSV.hasPrefix(ExportCSV.columns.joined(separator: ",") + "\r\n"))
        #expect(besideCSV.contains(warning), "the warning is in the CSV")
        let lostUpdateUsers = try shop.usersIn(category: "lost_update")
        try #require(!lostUpdateUsers.isEmpty, "the simulation has lost-update users")
        let heldUnexplained = Set(unadapted.plan.holds.filter { $0.reason == .unexplained }.map(\.userId))
        #expect(!heldUnexplained.isDisjoint(with: lostUpdateUsers), "without completed_at their purchases are invisible")

        // Adapted by the spec alone: the fallback list; check is clean and the pipeline agrees with the truth.
        let jobs = try JobsDirectoryCopy(replacing: "    completed_at: completed_at      #", with: "    completed_at: [completed_at, created_at]  #")
        shop.shop.jobs = jobs.path
        let clean = try shop.check()
        #expect(clean.status == 0, "\(clean)")
        #expect(clean.stdout.contains("[completed_at, created_at] is set on all \(completedPurchases) completed purchases"), "\(clean)")
        let adapted = try shop.runPipelineAgainstTruth()
        #expect(adapted.holds.filter { $0.reason == .unexplained && lostUpdateUsers.contains($0.userId) }.isEmpty)
        #expect(adapted.warnings.isEmpty, "\(adapted.warnings)")
    }

    @Test func decimalTenTwoBalancesAndAuthForeignKeyAndABalanceHistoryTrigger() throws {
        let shop = try VariantShop(seed: 62, schema: SchemaVariant(narrowBalance: true, authUsers: true, balanceHistoryTrigger: true))
        let report = try shop.check()
        #expect(report.status == 0, "\(report)")
        #expect(report.stdout.contains("balance column is numeric(10,2): it holds balances up to Rp 99.999.999,99"), "\(report)")
        #expect(report.stdout.contains("users_balance_history BEFORE UPDATE ON public.users"), "\(report)")
        #expect(report.stdout.contains("(fires on remedy's corrections too)"), "\(report)")
        try shop.initialize()
        let historyBefore = try shop.scalar("SELECT count(*) FROM public.balance_history")
        let plan = try shop.runPipelineAgainstTruth()
        // The shop's own trigger recorded every correction remedy made.
        #expect(try shop.scalar("SELECT count(*) FROM public.balance_history") == historyBefore + plan.adjustments.count)
    }

    /// Large shops partition their transactions (here by month): check finds the user index on
    /// every partition, and the whole pipeline corrects what the truth says, with live top-ups
    /// landing in the default partition meanwhile untouched.
    @Test func transactionsPartitionedByMonth() throws {
        let shop = try VariantShop(seed: 65, schema: SchemaVariant(partitionedTransactions: true))
        let partitions = try shop.scalar("SELECT count(*) FROM pg_partition_tree('public.transactions') WHERE isleaf")
        try #require(partitions >= 3)
        #expect(try shop.scalar("SELECT count(*) FROM ONLY public.transactions") == 0, "every row is in a partition")
        let report = try shop.check()
        #expect(report.status == 0, "\(report)")
        #expect(report.stdout.contains("  ok      transactions.user_id: index idx_transactions_user_id (on each of \(partitions) partitions); apply finds a batch's rows through it"), "\(report)")
        try shop.initialize()
        _ = try shop.runPipelineAgainstTruth()
    }

    /// users.id a bigint: detect casts the batch's ids to it, plan orders users by the id's text
    /// ("10" before "9"), and the pipeline corrects what the truth says.
    @Test func bigintUserIds() throws {
        let shop = try VariantShop(seed: 66, schema: SchemaVariant(bigintUserIds: true))
        #expect(try shop.scalar("""
            SELECT count(*) FROM information_schema.columns
             WHERE table_schema = 'public' AND ((table_name = 'users' AND column_name = 'id') OR (table_name = 'transactions' AND column_name = 'user_id'))
               AND data_type = 'bigint'
            """) == 2)
        let report = try shop.check()
        #expect(report.status == 0, "\(report)")
        try shop.initialize()
        let plan = try shop.runPipelineAgainstTruth()
        let ids = plan.adjustments.map(\.userId)
        #expect(ids == ids.sorted() && ids.contains { $0.count == 1 } && ids.contains { $0.count == 3 }, "\(ids.prefix(20))")
    }

    /// Type and status as enums, with transactions partitioned and user ids bigint: every
    /// comparison with the spec's words reads them as text (an enum has no `=` with a text
    /// parameter), and the pipeline corrects what the truth says.
    @Test func enumTypeAndStatusOnPartitionedTransactionsWithBigintIds() throws {
        let shop = try VariantShop(seed: 68, schema: SchemaVariant(bigintUserIds: true, enumTypeAndStatus: true, partitionedTransactions: true))
        #expect(try shop.scalar("""
            SELECT count(*) FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid
             WHERE a.attrelid = 'public.transactions'::regclass AND a.attname IN ('status', 'transaction_type') AND ty.typtype = 'e'
            """) == 2)
        let report = try shop.check()
        #expect(report.status == 0, "\(report)")
        try shop.initialize()
        _ = try shop.runPipelineAgainstTruth()
    }

    /// Times without a time zone (an ORM's `timestamp(3)`) fit two readings: UTC, or the wall
    /// time of the shop's zone. remedy reads UTC, and check says so for each mapped time column,
    /// for a person to confirm (plan records it for the approvers). Holding UTC, as here, the
    /// pipeline corrects what the truth says.
    @Test func timesWithoutATimeZoneAreReadAsUTCAndSaidSo() throws {
        let shop = try VariantShop(seed: 69, schema: SchemaVariant(naiveTimestampsZone: "UTC"))
        let report = try shop.check()
        #expect(report.status == 2, "\(report)")
        for column in ["completed_at", "created_at", "tripay_paid_at"] {
            #expect(report.stdout.contains("  WARNING transactions.\(column) is timestamp(3) without time zone, so its values carry no zone: remedy reads them as UTC."), "\(column): \(report)")
        }
        #expect(report.stdout.contains("ok      transactions.tripay_paid_at (read as UTC) agrees with the callback's paid_at within 15 minutes on "), "\(report)")
        try shop.initialize()
        let plan = try shop.runPipelineAgainstTruth()
        #expect(plan.warnings.filter { $0.contains("so its values carry no zone: remedy reads them as UTC") }.count == 3, "\(plan.warnings)")
    }

    /// A shop whose app runs in WIB writes Jakarta's wall time into its zone-less times (Laravel's
    /// `timestamps()` with `APP_TIMEZONE=Asia/Jakarta`). Read as UTC, every paid_at is seven hours
    /// late: the column's type cannot tell, the callback's own paid_at can, and plan refuses a
    /// window read that far off (reading paid_at from the callback instead needs no zone). Named
    /// in schema.transactions.local_time_zone, check is satisfied, the plan's paid_at are the
    /// instants the payments happened, and the pipeline corrects what the truth says. A zone
    /// PostgreSQL does not know is refused before anything is read or written.
    @Test func wallTimesOfTheShopsZoneAreReadInTheZoneTheSpecNames() throws {
        let shop = try VariantShop(seed: 70, schema: SchemaVariant(naiveTimestampsZone: "Asia/Jakarta"))
        try shop.initialize()
        func paidAt(_ plan: Plan) throws -> (transactionId: String, paidAt: String) {
            let topUp = try #require(plan.adjustments.first?.attribution.topUps.first)
            return (topUp.transactionId, topUp.paidAt)
        }
        let instantSQL = """
            SELECT to_char((tripay_paid_at AT TIME ZONE 'Asia/Jakarta') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
              FROM public.transactions WHERE id::text = $1
            """

        // Unnamed: read as UTC, said so, and the callback's paid_at (Unix seconds, the gateway's
        // clock) shows it seven hours off: plan does not run on a window read that far off.
        let unnamed = try shop.check()
        #expect(unnamed.status == 1, "\(unnamed)")
        #expect(unnamed.stdout.contains("transactions.tripay_paid_at is timestamp(3) without time zone, so its values carry no zone: remedy reads them as UTC."), "\(unnamed)")
        #expect(unnamed.stdout.contains("ERROR   transactions.tripay_paid_at (read as UTC), the paid_at this plan would use, is +7 h from the callback's paid_at on "), "\(unnamed)")
        #expect(unnamed.stdout.contains("so the window would be read that far off: name the shop's zone in schema.transactions.local_time_zone"), "\(unnamed)")
        #expect(unnamed.stdout.contains("WARNING transactions.completed_at (read as UTC) is +7 h from the callback's paid_at on "), "\(unnamed)")
        let unnamedBefore = try DatabaseFingerprint.take(shop.shop)
        let unnamedPlan = try shop.shop.remedy(["plan", "tripay-double-credit"] + shop.shop.windowParameters + ["--key", shop.shop.key("andi"), "--out", shop.shop.directory + "/misread", "--jobs", shop.shop.jobs])
        let unnamedErrors = unnamedPlan.stderrLines.filter { $0.hasPrefix("remedy: error:") }
        #expect(!unnamedPlan.exitedZero && unnamedErrors.count == 1 && unnamedErrors[0].contains("the paid_at this plan would use, is +7 h"), "\(unnamedPlan)")
        #expect(try DatabaseFingerprint.take(shop.shop) == unnamedBefore)
        // Read from the callback instead, the window needs no zone, and plan runs (warning on the columns).
        let byCallback = try shop.shop.remedy(["plan", "tripay-double-credit"] + shop.shop.windowParameters
            + ["--param", "paid_at=callback_paid_at", "--key", shop.shop.key("andi"), "--out", shop.shop.directory + "/by-callback", "--jobs", shop.shop.jobs])
        #expect(byCallback.exitedZero, "\(byCallback)")
        let (callbackId, callbackPaidAt) = try paidAt(try shop.shop.readPlan(shop.shop.directory + "/by-callback"))
        #expect(callbackPaidAt == (try shop.connection.query(instantSQL, [callbackId])[0].decode(0, as: String.self)))

        // A zone PostgreSQL does not know: check's error, plan's one line, nothing written.
        let unknown = try JobsDirectoryCopy(replacing: "    callback: tripay_callback_data  #", with: "    local_time_zone: Asia/Jakrta\n    callback: tripay_callback_data  #")
        shop.shop.jobs = unknown.path
        let refusedCheck = try shop.check()
        #expect(refusedCheck.status == 1 && refusedCheck.stdout.contains("ERROR   schema.transactions.local_time_zone \"Asia/Jakrta\" is not a time zone this PostgreSQL knows"), "\(refusedCheck)")
        #expect(!refusedCheck.stdout.contains("read as wall time in Asia/Jakrta"), "\(refusedCheck)")
        let before = try DatabaseFingerprint.take(shop.shop)
        let refusedPlan = try shop.shop.remedy(["plan", "tripay-double-credit"] + shop.shop.windowParameters + ["--key", shop.shop.key("andi"), "--out", shop.shop.directory + "/refused", "--jobs", shop.shop.jobs])
        let errors = refusedPlan.stderrLines.filter { $0.hasPrefix("remedy: error:") }
        #expect(!refusedPlan.exitedZero && errors.count == 1 && errors[0].contains("local_time_zone \"Asia/Jakrta\" is not a time zone this PostgreSQL knows"), "\(refusedPlan)")
        #expect(try DatabaseFingerprint.take(shop.shop) == before)
        #expect(!FileManager.default.fileExists(atPath: shop.shop.directory + "/refused"))

        // Named: every mapped time is read in WIB.
        let named = try JobsDirectoryCopy(replacing: "    callback: tripay_callback_data  #", with: "    local_time_zone: Asia/Jakarta\n    callback: tripay_callback_data  #")
        shop.shop.jobs = named.path
        let report = try shop.check()
        #expect(report.status == 0, "\(report)")
        for column in ["completed_at", "created_at", "tripay_paid_at"] {
            #expect(report.stdout.contains("transactions.\(column) ("), "\(column)")
            #expect(report.stdout.contains("): timestamp(3) without time zone, read as wall time in Asia/Jakarta (schema.transactions.local_time_zone)"), "\(report)")
        }
        #expect(report.stdout.contains("ok      transactions.tripay_paid_at (read as wall time in Asia/Jakarta) agrees with the callback's paid_at within 15 minutes on "), "\(report)")
        let plan = try shop.runPipelineAgainstTruth()
        #expect(!plan.warnings.contains { $0.contains("carry no zone") }, "\(plan.warnings)")
        let (id, instant) = try paidAt(plan)
        #expect(instant == (try shop.connection.query(instantSQL, [id])[0].decode(0, as: String.self)), "paid_at is the instant of the payment")
    }

    /// A timestamptz column that an app filled with WIB wall time as if it were UTC: its type
    /// says nothing is wrong; the callback's paid_at shows the seven hours, and check says which
    /// source to trust. A column written minutes after the payment is told apart from a zone.
    @Test func aZonedColumnHoldingAnotherZonesWallTimeIsMeasuredAgainstTheCallback() throws {
        let shop = try VariantShop(seed: 71, schema: SchemaVariant())
        let clean = try shop.check()
        #expect(clean.stdout.contains("ok      transactions.tripay_paid_at (a timestamptz) agrees with the callback's paid_at within 15 minutes on "), "\(clean)")
        // A zone named for columns that all carry theirs changes nothing, and check says so.
        let zoned = try JobsDirectoryCopy(replacing: "    callback: tripay_callback_data  #", with: "    local_time_zone: Asia/Jakarta\n    callback: tripay_callback_data  #")
        let defaultJobs = shop.shop.jobs
        shop.shop.jobs = zoned.path
        let needless = try shop.check()
        #expect(needless.status == 2 && needless.stdout.contains("WARNING schema.transactions.local_time_zone is Asia/Jakarta, but every mapped time column carries its zone (timestamptz): it changes nothing"), "\(needless)")
        shop.shop.jobs = defaultJobs
        try shop.connection.executeScript("""
            ALTER TABLE public.transactions DISABLE TRIGGER USER;
            UPDATE public.transactions SET tripay_paid_at = tripay_paid_at + interval '7 hours', completed_at = completed_at + interval '20 minutes'
             WHERE transaction_type = 'topup';
            -- Odd callback values are left out of the comparison, never fail it.
            UPDATE public.transactions SET tripay_callback_data = jsonb_set(tripay_callback_data, '{paid_at}', to_jsonb(v.value))
              FROM (VALUES (0, 'soon'), (1, '1e9'), (2, '-5'), (3, '17000000000000')) v(n, value),
                   LATERAL (SELECT id FROM public.transactions WHERE transaction_type = 'topup' AND status = 'completed'
                             AND tripay_callback_data ? 'paid_at' ORDER BY id OFFSET v.n LIMIT 1) pick
             WHERE transactions.id = pick.id;
            ALTER TABLE public.transactions ENABLE TRIGGER USER;
            """)
        let shifted = try shop.check()
        #expect(shifted.status == 1, "\(shifted)")
        #expect(shifted.stdout.contains("ERROR   transactions.tripay_paid_at (a timestamptz), the paid_at this plan would use, is +7 h from the callback's paid_at on "), "\(shifted)")
        #expect(shifted.stdout.contains("so the window would be read that far off: choose --param paid_at=callback_paid_at, the gateway's own time"), "\(shifted)")
        #expect(shifted.stdout.contains("WARNING transactions.completed_at (a timestamptz) is +15 min from the callback's paid_at on "), "\(shifted)")
        #expect(shifted.stdout.contains("it is written some time after the payment"), "\(shifted)")
        let json = try shop.check(json: true)
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let findings = (document?["report"] as? [String: Any])?["findings"] as? [[String: Any]] ?? []
        let paidAt = findings.first { $0["topic"] as? String == "times" && ($0["facts"] as? [String: String])?["column"] == "tripay_paid_at" }
        #expect((paidAt?["facts"] as? [String: String])?["offset_seconds"] == "25200", "exact in --json: \(paidAt ?? [:])")
    }

    @Test func extraTypesAndStatusesAreListedForConfirmation() throws {
        // The default shop has warranty claims (the trigger never moves a balance for them) and
        // refunded top-ups (the trigger takes a completed row back when it leaves completed).
        let shop = try VariantShop(seed: 63, schema: SchemaVariant())
        let claims = try shop.connection.query("""
            SELECT count(*)::int, sum(amount)::text FROM public.transactions WHERE transaction_type = 'warranty_claim' AND status = 'completed'
            """)[0]
        let (count, sum) = (try claims.decode(0, as: Int.self), try Money(exactText: try claims.decode(1, as: String.self)))
        try #require(count > 0)
        let unconfirmed = try JobsDirectoryCopy(replacing: "    warranty_claim: 0     #", with: "    #")
        shop.shop.jobs = unconfirmed.path
        let warned = try shop.check()
        #expect(warned.status == 2, "\(warned)")
        #expect(warned.stdout.contains("warranty_claim: \(count) completed rows, \(sum.rupiah), count 0 in the ledger — confirm"), "\(warned)")
        // Every status but completed is listed with its rows (refunded, cancelled, failed…).
        let statuses = try shop.connection.query("SELECT status, count(*)::int FROM public.transactions WHERE status <> 'completed' GROUP BY 1")
        try #require(statuses.count >= 3)
        for row in statuses {
            let (status, rows) = (try row.decode(0, as: String.self), try row.decode(1, as: Int.self))
            #expect(warned.stdout.contains("status \(status): \(rows) rows, "), "\(status)")
        }
        let json = try shop.check(json: true)
        #expect(json.status == 2)
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let findings = (document?["report"] as? [String: Any])?["findings"] as? [[String: Any]] ?? []
        let claim = findings.first { ($0["facts"] as? [String: String])?["type"] == "warranty_claim" }
        #expect((claim?["facts"] as? [String: String])?["completed_sum"] == sum.exactText, "exact in --json")
        #expect(claim?["severity"] as? String == "warning")

        // Confirmed in the spec (as shipped: warranty_claim: 0), nothing is left to confirm.
        shop.shop.jobs = RemedyProcess.jobsDirectory
        #expect(try shop.check().status == 0)
        try shop.initialize()
        _ = try shop.runPipelineAgainstTruth()
    }

    @Test func aMixedCaseSchemaWithForcedRowLevelSecurityReadByABypassRole() throws {
        let role = "remedy_ops_\(UUID().uuidString.prefix(8).lowercased())"
        let shop = try VariantShop(seed: 64, schema: SchemaVariant(schemaName: "Shop", rowSecurityReader: role))
        shop.shop.remedyDatabaseURL = shop.shop.database.url.replacingOccurrences(of: "user=postgres", with: "user=\(role)")
        try #require(shop.shop.remedyDatabaseURL != shop.shop.database.url)

        // As shipped, the job looks in public: check cannot run it here.
        let missing = try shop.check()
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.stdout.contains("table public.users does not exist"), "\(missing)")
        #expect(missing.stdout.contains("tables of that name: \"Shop\".users"), "\(missing)")

        let jobs = try JobsDirectoryCopy {
            Data(String(decoding: $0, as: UTF8.self)
                .replacingOccurrences(of: "table: public.users", with: "table: Shop.users")
                .replacingOccurrences(of: "table: public.transactions", with: "table: Shop.transactions").utf8)
        }
        shop.shop.jobs = jobs.path
        let report = try shop.check()
        #expect(report.status == 0, "\(report)")
        #expect(report.stdout.contains("Shop.users: row-level security is on (forced), and \(role) has BYPASSRLS: remedy reads every row"), "\(report)")

        // The same role without BYPASSRLS would read a filtered table: check says the job cannot run.
        try shop.connection.execute("ALTER ROLE \(role) NOBYPASSRLS")
        let filtered = try shop.check()
        #expect(filtered.status == 1, "\(filtered)")
        #expect(filtered.stdout.contains("neither owns it nor has BYPASSRLS"), "\(filtered)")
        try shop.connection.execute("ALTER ROLE \(role) BYPASSRLS")

        try shop.initialize()
        _ = try shop.runPipelineAgainstTruth()
    }
}

/// An EndToEndShop of a schema variant, with what these tests ask of it.
final class VariantShop {
    let shop: EndToEndShop
    let schema: SchemaVariant

    init(seed: UInt64, schema: SchemaVariant) throws {
        shop = try EndToEndShop(users: SchemaVariantTests.users, seed: seed, initialize: false, schema: schema)
        self.schema = schema
    }

    var connection: PostgresConnection { shop.connection }
    var table: String { "\"\(schema.schemaName)\"" }

    func scalar(_ sql: String) throws -> Int {
        try connection.query(sql)[0].decode(0, as: Int.self)
    }

    /// `remedy check` through the binary; it must leave the database as it was, and needs no
    /// remedy schema.
    func check(json: Bool = false) throws -> RemedyRun {
        let before = try fingerprint()
        let run = try shop.remedy(["check", "tripay-double-credit"] + shop.windowParameters + ["--jobs", shop.jobs] + (json ? ["--json"] : []))
        #expect(try fingerprint() == before, "check changed the database")
        #expect(!run.stderr.contains("remedy: error:") || run.status == 1, "\(run)")
        return run
    }

    func initialize() throws {
        try shop.remedy(["init", "--approvers", shop.approversFile]).requireSuccess()
    }

    struct Planned {
        let bundle: String
        let plan: Plan
        let summary: String
    }

    func plan() throws -> Planned {
        let out = "\(shop.directory)/plan-\(UUID().uuidString.prefix(8))"
        let run = try shop.remedy(["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--out", out, "--jobs", shop.jobs])
            .requireSuccess()
        return Planned(bundle: out, plan: try shop.readPlan(out), summary: run.stdout)
    }

    func usersIn(category: String) throws -> Set<String> {
        Set(try connection.query("SELECT user_id::text FROM simulator.truth WHERE category = $1", [category]).map { try $0.decode(0, as: String.self) })
    }

    /// user id → balance, from the variant's users table.
    func balances() throws -> [String: Money] {
        var balances: [String: Money] = [:]
        for row in try connection.query("SELECT id::text, balance::text FROM \(table).users") {
            balances[try row.decode(0, as: String.self)] = try Money(exactText: try row.decode(1, as: String.self))
        }
        return balances
    }

    /// Plan → approve → apply → verify; then every user the truth calls the bug's alone is
    /// corrected to the rupiah (or held by a policy with exactly that excess), nobody else moves.
    @discardableResult
    func runPipelineAgainstTruth() throws -> Plan {
        let before = try balances()
        let planned = try plan()
        try shop.approve(planned.bundle)
        try shop.apply(planned.bundle).requireSuccess()
        try shop.remedy(["verify", planned.bundle, "--jobs", shop.jobs]).requireSuccess()
        let after = try balances()
        let adjusted = Dictionary(uniqueKeysWithValues: planned.plan.adjustments.map { ($0.userId, $0) })
        let held = Dictionary(uniqueKeysWithValues: planned.plan.holds.map { ($0.userId, $0) })
        var corrected = 0
        for row in try connection.query("SELECT user_id::text, category, bug_excess::text, other_drift::text FROM simulator.truth") {
            let userId: String = try row.decode(0)
            let category: String = try row.decode(1)
            let bug = try Money(exactText: try row.decode(2, as: String.self))
            let other = try Money(exactText: try row.decode(3, as: String.self))
            let who = "\(userId) (\(category), bug \(bug.rupiah), other \(other.rupiah)) on \(schema)"
            if other.isZero, bug.isPositive {
                if let line = adjusted[userId] {
                    #expect(line.excess == bug, "\(who)")
                    #expect(after[userId] == before[userId].map { $0 + line.delta }, "\(who)")
                    corrected += 1
                } else if let hold = held[userId], [.wouldGoNegative, .overLimit].contains(hold.reason) {
                    #expect(hold.closest?.total == bug, "\(who)")
                    #expect(after[userId] == before[userId], "\(who)")
                } else {
                    Issue.record("\(who) was neither corrected nor held by a policy: \(held[userId].map { "\($0.reason): \($0.explanation)" } ?? "not in the plan")")
                }
            } else {
                #expect(adjusted[userId] == nil, "\(who) was adjusted")
                #expect(after[userId] == before[userId], "\(who) moved but must be untouched")
            }
        }
        #expect(corrected == planned.plan.adjustments.count)
        #expect(corrected > 10, "the simulation should give the job work on \(schema)")
        return planned.plan
    }

    /// Balances and row counts of the shop's tables, and whether remedy's schema exists.
    func fingerprint() throws -> [String] {
        var lines = try balances().map { "\($0.key) \($0.value.exactText)" }.sorted()
        lines.append("transactions \(try scalar("SELECT count(*) FROM \(table).transactions"))")
        lines.append("remedy schema \(try scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'remedy'"))")
        if try scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'remedy'") > 0 {
            lines.append("remedy plans \(try scalar("SELECT count(*) FROM remedy.plans"))")
            lines.append("remedy audit \(try scalar("SELECT count(*) FROM remedy.audit_log"))")
        }
        return lines
    }
}
