import Foundation
import Postgres
import Rupiah
import Testing
import TestSupport
@testable import RemedyCore

/// The nightly drift job under a signed standing policy, with notifications to a local server.
@Suite("Scheduled drift runs")
struct ScheduledRunTests {
    func writePolicy(_ harness: PipelineHarness, classifications: String = "[purchase_deduction]", validUntil: String = "2099-01-01T00:00:00+07:00",
                     maxSingle: String = "1000000.00", signers: [String] = ["sari", "budi"]) throws -> StandingPolicy {
        let path = "\(harness.directory)/policy-\(UUID().uuidString.prefix(6)).yaml"
        try """
        policy: nightly-drift
        job: balance-drift
        job_spec_digests: [\(harness.spec.digest)]
        classifications: \(classifications)
        max_single_adjustment: "\(maxSingle)"
        max_total_per_run: "50000000.00"
        max_users: 500
        valid_from: 2025-01-01T00:00:00+07:00
        valid_until: \(validUntil)

        """.write(toFile: path, atomically: true, encoding: .utf8)
        let policy = try StandingPolicy.load(path: path)
        for name in signers { _ = try policy.sign(with: harness.keys[name]!, connection: harness.connection) }
        return policy
    }

    func scheduledRun(_ harness: PipelineHarness, policy: StandingPolicy?, server: LocalHTTPServer?, stop: StopRequest? = nil) throws -> ScheduledRun.Outcome {
        try ScheduledRun(spec: harness.spec, parameters: try harness.parameters, operatorKey: harness.keys["andi"]!, policy: policy,
                         connection: harness.connection, notifier: Notifier(url: server.map { URL(string: $0.url)! }, backoffMilliseconds: 10),
                         stop: stop)
            .run(defaultParent: harness.directory)
    }

    /// A stop that reaches the automatic apply before it writes (the signal came while apply
    /// checked its plan): no balance moves, nothing is written for sign-off, and the failure is
    /// notified once. (A stop between batches goes through the binary: ApplyInterruptTests.)
    @Test func aStopBeforeTheAutomaticApplyWritesMovesNothingAndLeavesNothingForSignOff() throws {
        let harness = try PipelineHarness(users: 300, seed: 51, job: "balance-drift")
        let server = try LocalHTTPServer()
        let policy = try writePolicy(harness)
        let before = try harness.books()
        let stop = StopRequest()
        stop.request()

        let error = try #require(throws: RemedyError.self) { try scheduledRun(harness, policy: policy, server: server, stop: stop) }
        #expect(error.code == .interrupted, "\(error)")
        #expect(try harness.books().mapValues(\.balance) == before.mapValues(\.balance), "no balance moved")
        #expect(try harness.connection.query("SELECT count(*) FROM remedy.entries")[0].decode(0, as: Int.self) == 0)
        #expect(try harness.connection.query("SELECT count(*) FROM remedy.runs")[0].decode(0, as: Int.self) == 0, "no run was started")
        let waiting = try harness.connection.query("SELECT count(*) FROM remedy.plans WHERE standing_policy IS NULL")[0].decode(0, as: Int.self)
        #expect(waiting == 0, "nothing was written for sign-off")
        let automatic = try harness.connection.query("SELECT count(*) FROM remedy.plans WHERE standing_policy IS NOT NULL")[0].decode(0, as: Int.self)
        #expect(automatic == 1, "the policy's plan was written, and its apply refused before it wrote")
        #expect(server.bodies.compactMap { $0["event"] as? String } == ["drift_found", "run_failed"], "\(server.bodies)")
    }

    @Test func aPolicyRestoresPurchaseDeductionsAndLeavesTheRestWaitingThenANightWithAcknowledgedHoldsIsQuiet() throws {
        let harness = try PipelineHarness(users: 300, seed: 51, job: "balance-drift")
        let server = try LocalHTTPServer()
        let policy = try writePolicy(harness)
        let before = try harness.books()
        let member1 = try harness.userId("member1")

        let night1 = try scheduledRun(harness, policy: policy, server: server)
        #expect(night1.exitCode == 2, "something waits for a person")
        let report = try #require(night1.applied)
        let automatic = try #require(night1.automatic)
        #expect(report.isComplete)
        #expect(automatic.plan.standingPolicy == policy.digest)
        #expect(automatic.plan.adjustments.allSatisfy { $0.attribution.families == [.purchaseDeduction] })
        let after = try harness.books()
        // member1: exactly Rp 400.000 restored, as seed 000 says.
        #expect(after[member1]!.balance - before[member1]!.balance == Money(rupiah: 400_000))
        // Only the automatic plan's users moved; each by its line's delta.
        let moved = Dictionary(uniqueKeysWithValues: automatic.plan.adjustments.map { ($0.userId, $0.delta) })
        for (userId, books) in after {
            #expect(books.balance == before[userId]!.balance + (moved[userId] ?? .zero))
        }
        #expect(try harness.connection.query("SELECT count(*) FROM remedy.audit_log WHERE action = 'correction.applied'")[0].decode(0, as: Int.self) == report.counts.applied)
        // Everything outside the policy waits, untouched.
        let waiting = try #require(night1.waiting)
        #expect(waiting.plan.standingPolicy == nil)
        #expect(!waiting.plan.adjustments.contains { moved[$0.userId] != nil })
        #expect(waiting.plan.adjustments.allSatisfy { !$0.attribution.families.allSatisfy { $0 == .purchaseDeduction } })
        // The local server heard about it, and never saw its own URL echoed back.
        let events = server.bodies.compactMap { $0["event"] as? String }
        #expect(events == ["drift_found", "applied_automatically", "plan_waiting"])
        #expect(server.bodies.allSatisfy { ($0["text"] as? String)?.contains("SECRET") == false })

        // A person signs off the waiting corrections and acknowledges every hold.
        try harness.approve(waiting)
        _ = try harness.apply(waiting)
        let waitingHolds = try PlanBundle.readStreaming(waiting.path, keepingHoldsAndSettled: true)
        for hold in waiting.plan.holds {
            _ = try Acknowledgements(connection: harness.connection).acknowledge(userIdOrLabel: hold.userId, in: waitingHolds, reason: "known: see ticket FIN-42", key: harness.keys["sari"]!)
        }
        let quietBefore = try harness.books()
        let plansBefore = try harness.connection.query("SELECT count(*) FROM remedy.plans")[0].decode(0, as: Int.self)
        let night2 = try scheduledRun(harness, policy: policy, server: server)
        #expect(night2.exitCode == 0)
        #expect(night2.automatic == nil && night2.waiting == nil)
        #expect(night2.totals.acknowledgedCount == waiting.plan.holds.count)
        #expect(try harness.books().mapValues(\.balance) == quietBefore.mapValues(\.balance))
        #expect(try harness.connection.query("SELECT count(*) FROM remedy.plans")[0].decode(0, as: Int.self) == plansBefore)

        // An acknowledgement lapses when the user's numbers change.
        let someone = try #require(waiting.plan.holds.first)
        try harness.connection.execute("UPDATE users SET balance = balance + 1 WHERE id::text = $1", [someone.userId])
        let night3 = try scheduledRun(harness, policy: policy, server: nil)
        #expect(night3.exitCode == 2)
        #expect(night3.waiting?.plan.holds.contains { $0.userId == someone.userId && $0.acknowledged == nil } == true)
    }

    @Test func aPolicyThatDoesNotHoldStopsTheRunBeforeAnythingMoves() throws {
        let harness = try PipelineHarness(users: 120, seed: 52, job: "balance-drift")
        let server = try LocalHTTPServer()
        let before = try harness.books()
        func refused(_ policy: StandingPolicy) -> String {
            do { _ = try scheduledRun(harness, policy: policy, server: server); return "not refused" } catch { return "\(error)" }
        }
        #expect(refused(try writePolicy(harness, signers: ["sari"])).contains("missing: engineering"))
        #expect(refused(try writePolicy(harness, validUntil: "2025-06-01T00:00:00+07:00")).contains("not now"))
        #expect(refused(try writePolicy(harness, signers: ["sari", "andi"])).contains("cannot also be its operator"))
        let edited = try writePolicy(harness)
        try (try String(contentsOfFile: edited.path, encoding: .utf8).replacingOccurrences(of: "1000000.00", with: "9000000.00"))
            .write(toFile: edited.path, atomically: true, encoding: .utf8)
        #expect(refused(try StandingPolicy.load(path: edited.path)).contains("does not cover"))
        #expect(try harness.books().mapValues(\.balance) == before.mapValues(\.balance))
        #expect(try harness.connection.query("SELECT count(*) FROM remedy.plans")[0].decode(0, as: Int.self) == 0)
        #expect(server.bodies.compactMap { $0["event"] as? String }.allSatisfy { $0 == "run_failed" })
        #expect(server.requestCount == 4)
    }

    /// apply refuses a batch that would read a whole unindexed table under its locks; a run that
    /// may apply automatically refuses it before planning, unless the operator accepted it.
    @Test func aRunThatWouldApplyOnAnUnindexedLargeTableStopsBeforeAnythingIsPlanned() throws {
        let harness = try PipelineHarness(users: 120, seed: 53, job: "balance-drift")
        try harness.connection.executeScript(UnindexedShopSQL.dropIndexAndGrow)
        let policy = try writePolicy(harness)
        let before = try harness.books()
        func run(allowing: Bool) throws -> ScheduledRun.Outcome {
            try ScheduledRun(spec: harness.spec, parameters: try harness.parameters, operatorKey: harness.keys["andi"]!, policy: policy,
                             connection: harness.connection, notifier: Notifier(url: nil), allowUnindexedRecheck: allowing)
                .run(defaultParent: harness.directory)
        }
        #expect { _ = try run(allowing: false) } throws: { error in
            "\(error)".contains("public.transactions has no index whose first column is user_id")
                && "\(error)".contains("--allow-unindexed-recheck")
        }
        #expect(try harness.connection.query("SELECT count(*) FROM remedy.plans")[0].decode(0, as: Int.self) == 0)
        #expect(try harness.books().mapValues(\.balance) == before.mapValues(\.balance))
        let accepted = try run(allowing: true)
        #expect(try #require(accepted.applied).counts.applied > 0)
    }

    @Test func anAutomaticPlanCannotBeAppliedWithoutItsPolicy() throws {
        let harness = try PipelineHarness(users: 200, seed: 53, job: "balance-drift")
        let policy = try writePolicy(harness)
        var plan = try Planner(spec: harness.spec, parameters: try harness.parameters, plannerKey: harness.keys["andi"]!, connection: harness.connection).makePlan()
        plan.standingPolicy = policy.digest
        plan.holds = []
        plan.totals = try PlanTotals(adjustments: plan.adjustments, holds: [], settled: plan.settled, usersExamined: plan.totals.usersExamined)
        let bundle = try PlanRecorder(connection: harness.connection, plannerKey: harness.keys["andi"]!).write(plan, outDirectory: nil, defaultParent: harness.directory)
        let withoutPolicy = #expect(throws: RemedyError.self) { try harness.apply(bundle) }
        #expect(withoutPolicy?.message.contains("pass that policy file") == true)
        // Lines outside the policy (double credit) make the policy insufficient.
        let outside = #expect(throws: RemedyError.self) {
            try Applier(spec: harness.spec, bundle: bundle, connection: harness.connection).apply(operatorKey: harness.keys["andi"]!, policy: policy)
        }
        #expect(outside?.message.contains("outside standing policy") == true)
    }

    @Test func overlappingRunsAreRefusedByTheLeaseNamingItsHolder() throws {
        let harness = try PipelineHarness(users: 60, seed: 54, job: "balance-drift")
        try harness.connection.execute("""
            INSERT INTO remedy.leases (job, owner, host, pid, acquired_at, expires_at)
            VALUES ('balance-drift', gen_random_uuid(), 'cron-host-2', 4242, now(), now() + interval '5 minutes')
            """)
        let policy = try writePolicy(harness)
        let error = #expect(throws: RemedyError.self) { try scheduledRun(harness, policy: policy, server: nil) }
        #expect(error?.code == .leaseHeld)
        #expect(error?.message.contains("pid 4242 on cron-host-2") == true)
        // An expired lease (a killed run on another host) lapses.
        try harness.connection.execute("UPDATE remedy.leases SET expires_at = now() - interval '1 second'")
        #expect(try scheduledRun(harness, policy: policy, server: nil).applied != nil)
    }

    @Test func aWebhookIsRetriedWithBackoffAndItsURLNeverShows() throws {
        let server = try LocalHTTPServer(statuses: [500, 503])
        let notifier = Notifier(url: URL(string: server.url)!, backoffMilliseconds: 10)
        #expect(notifier.send(RunNotification(event: .driftFound, job: "balance-drift", text: "drift")) == nil)
        #expect(server.requestCount == 3)
        let failing = try LocalHTTPServer(statuses: [500, 500, 500, 500])
        let problem = Notifier(url: URL(string: failing.url)!, backoffMilliseconds: 10).send(RunNotification(event: .runFailed, job: "j", text: "x"))
        #expect(problem?.contains("failed after 4 attempts: HTTP 500") == true)
        #expect(problem?.contains("SECRET") == false)
        let refused = try LocalHTTPServer(statuses: [404])
        #expect(Notifier(url: URL(string: refused.url)!, backoffMilliseconds: 10).send(RunNotification(event: .runFailed, job: "j", text: "x"))?.contains("HTTP 404") == true)
        #expect(refused.requestCount == 1, "a 4xx is not retried")
    }
}
