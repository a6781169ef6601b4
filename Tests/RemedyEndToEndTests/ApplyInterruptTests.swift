import Foundation
import RemedyCore
import Testing
import TestSupport

/// Ctrl-C during `remedy apply`, through the real binary and a real SIGINT (fault injection sends
/// it at a chosen checkpoint, as a person pressing the keys at that moment would). Once: the run
/// stops after the batches under way, writes its report and audit rows, records itself as
/// interrupted and exits 130; the same apply then finishes the plan. Twice: it stops at once, the
/// batch in the database rolls back, and the same apply still finishes with nothing booked twice.
/// `remedy run`'s automatic apply stops the same way, and then writes nothing for sign-off.
@Suite("Apply stopped by Ctrl-C: between batches, and run again to finish")
struct ApplyInterruptTests {
    /// Small batches, so the plan spans many and a stop leaves most of them unread.
    static let batchSize = 2
    /// The second batch's "entries booked" on one connection (after "run started" and the first
    /// batch's six checkpoints); on two, somewhere in the first few batches.
    static let interruptAt = "9"

    /// `applied A, already applied B, skipped C` from apply's summary line.
    static func counts(_ run: RemedyRun) throws -> (applied: Int, alreadyApplied: Int, skipped: Int) {
        let line = try #require(run.stdoutLines.first { $0.hasPrefix("applied ") && $0.contains(", already applied ") }, "\(run)")
        let numbers = line.split(whereSeparator: { !$0.isNumber }).prefix(3).compactMap { Int($0) }
        try #require(numbers.count == 3, "\(line)")
        return (numbers[0], numbers[1], numbers[2])
    }

    /// A shop whose approved plan spans many batches: the jobs copy (kept while the shop is
    /// used), the shop, the bundle, its number of lines.
    static func approvedPlan(seed: UInt64) throws -> (JobsDirectoryCopy, EndToEndShop, String, Int) {
        let jobs = try JobsDirectoryCopy(batchSize: batchSize)
        let shop = try EndToEndShop(users: 300, seed: seed, jobs: jobs.path)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let lines = try shop.readPlan(bundle).adjustments.count
        try #require(lines >= 8 * batchSize, "the plan should span many batches; it has \(lines) lines")
        return (jobs, shop, bundle, lines)
    }

    @Test(arguments: [1, 2])
    func onceStopsBetweenBatchesWithItsReportAndTheSameApplyFinishes(connections: Int) throws {
        let (jobs, shop, bundle, lines) = try Self.approvedPlan(seed: 1_081)
        defer { withExtendedLifetime(jobs) {} }

        let run = try shop.apply(bundle, connections: connections, environment: [FaultInjection.interruptAtVariable: Self.interruptAt])
        #expect(run.reason == .exit && run.status == 130, "\(run)")
        #expect(run.stderr.contains("fault injection: SIGINT at checkpoint") && run.stderr.contains("interrupted; stopping after the batches under way"), "\(run)")
        let first = try Self.counts(run)
        let notReached = lines - first.applied
        #expect(first.applied > 0 && first.alreadyApplied == 0 && first.skipped == 0 && notReached > 0, "\(run)")
        #expect(run.stdoutLines.last == "interrupted: \(notReached) lines not reached; run the same remedy apply again to finish (nothing is applied twice)", "\(run)")

        // What was reached is booked and reported; the run is recorded as interrupted; the chain holds.
        #expect(try shop.count("remedy.entries") == 2 * first.applied, "two entries per applied line, none for lines not reached")
        let outcome = try shop.connection.query("SELECT outcome FROM remedy.runs")[0].decode(0, as: String?.self)
        #expect(outcome == "interrupted")
        let reports = try FileManager.default.contentsOfDirectory(atPath: bundle + "/runs").filter { $0.hasSuffix(".json") }
        #expect(reports.count == 1, "\(reports)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: bundle + "/runs/" + reports[0]))) as? [String: Any])
        #expect((report["applied"] as? [Any])?.count == first.applied, "the report lists the lines reached")
        try shop.remedy(["audit", "verify"]).requireSuccess()

        let again = try shop.apply(bundle, connections: connections)
        #expect(again.exitedZero, "\(again)")
        let second = try Self.counts(again)
        #expect(second.applied == notReached && second.alreadyApplied == first.applied && second.skipped == 0, "\(again)")
        #expect(try shop.count("remedy.entries") == 2 * lines)
    }

    /// For machines: the one JSON document, with how many lines the run did not reach (a key a
    /// run that reached every line leaves out).
    @Test func theJSONOfAStoppedRunCountsTheLinesNotReached() throws {
        let (jobs, shop, bundle, lines) = try Self.approvedPlan(seed: 1_083)
        defer { withExtendedLifetime(jobs) {} }
        let run = try shop.apply(bundle, environment: [FaultInjection.interruptAtVariable: Self.interruptAt], json: true)
        #expect(run.reason == .exit && run.status == 130, "\(run)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
        let applied = try #require(document["applied"] as? [Any])
        #expect(!applied.isEmpty && document["lines_not_reached"] as? Int == lines - applied.count, "\(run.stdout)")
        let again = try shop.apply(bundle, json: true)
        let finished = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any], "\(again)")
        #expect(again.exitedZero && finished["lines_not_reached"] == nil, "\(again)")
    }

    @Test func twiceStopsAtOnceAndTheSameApplyStillFinishesExactlyOnce() throws {
        let (jobs, shop, bundle, lines) = try Self.approvedPlan(seed: 1_082)
        defer { withExtendedLifetime(jobs) {} }

        let run = try shop.apply(bundle, environment: [FaultInjection.interruptAtVariable: Self.interruptAt, FaultInjection.interruptTwiceVariable: "1"])
        #expect(run.reason == .uncaughtSignal && run.status == SIGINT, "the second Ctrl-C ends the process by the signal itself\n\(run)")
        try shop.waitForRemedySessionsToEnd()
        // The first batch committed; the second, interrupted inside its transaction, rolled back.
        #expect(try shop.count("remedy.entries") == 2 * Self.batchSize, "only the first batch's entries")

        let again = try shop.apply(bundle)
        #expect(again.exitedZero, "\(again)")
        let second = try Self.counts(again)
        #expect(second.applied == lines - Self.batchSize && second.alreadyApplied == Self.batchSize, "\(again)")
        #expect(try shop.count("remedy.entries") == 2 * lines, "nothing booked twice")
        try shop.remedy(["audit", "verify"]).requireSuccess()
    }

    /// The nightly run, stopped during its automatic apply (Ctrl-C, or the scheduler's SIGTERM):
    /// the batches under way finish, nothing is written for sign-off, the webhook hears how far
    /// it got, exit 130. The next run plans again and books the rest, nothing twice.
    @Test func theNightlyRunStopsBetweenBatchesAndTheNextRunTakesTheRest() throws {
        let jobs = try JobsDirectoryCopy(job: "balance-drift", batchSize: Self.batchSize)
        defer { withExtendedLifetime(jobs) {} }
        let shop = try EndToEndShop(users: 300, seed: 1_084, jobs: jobs.path)
        let policy = try shop.signedPolicy(specDigests: [try JobSpec.load(directory: jobs.path + "/balance-drift").digest],
                                           classifications: ["double_credit", "purchase_deduction"], maxUsers: 1_000)
        let server = try LocalHTTPServer()
        let out = shop.directory + "/nightly"
        let nightly = ["run", "balance-drift", "--policy", policy, "--key", shop.key("andi"), "--jobs", jobs.path, "--out", out]

        let run = try shop.remedy(nightly, environment: ["REMEDY_WEBHOOK_URL": server.url, FaultInjection.interruptAtVariable: Self.interruptAt])
        #expect(run.reason == .exit && run.status == 130, "\(run)")
        let bundles = try FileManager.default.contentsOfDirectory(atPath: out)
        try #require(bundles.count == 1, "the automatic plan only, nothing for sign-off: \(bundles)\n\(run)")
        let automatic = try shop.readPlan(out + "/" + bundles[0])
        #expect(automatic.standingPolicy != nil)
        let lines = automatic.adjustments.count
        try #require(lines >= 8 * Self.batchSize, "the automatic plan should span many batches; it has \(lines) lines")
        let appliedLine = try #require(run.stdoutLines.first { $0.hasPrefix("applied automatically: ") }, "\(run)")
        let applied = try #require(appliedLine.split(separator: " ").dropFirst(2).first.flatMap { Int($0) }, "\(appliedLine)")
        let notReached = lines - applied
        #expect(applied > 0 && notReached > 0, "\(run)")
        #expect(run.stdoutLines.last == "interrupted: \(notReached) line(s) not reached; nothing written for sign-off; the next run plans again (nothing is applied twice)", "\(run)")
        #expect(try shop.count("remedy.entries") == 2 * applied, "two entries per applied line, none for lines not reached")
        #expect(try shop.connection.query("SELECT outcome FROM remedy.runs")[0].decode(0, as: String?.self) == "interrupted")
        let events = server.bodies.compactMap { $0["event"] as? String }
        #expect(events == ["drift_found", "applied_automatically"], "\(server.bodies)")
        let told = server.bodies.last?["text"] as? String ?? ""
        #expect(told.contains("stopped by a signal after \(applied) line(s), \(notReached) not reached; nothing written for sign-off"), "\(told)")
        try shop.remedy(["audit", "verify"]).requireSuccess()

        // The next night plans again: the users not reached still drift, and nobody is booked twice.
        let next = try shop.remedy(nightly)
        #expect(next.reason == .exit && [0, 2].contains(next.status), "\(next)")
        let twice = try shop.connection.query("SELECT count(*) FROM (SELECT user_id FROM remedy.entries WHERE kind = 'discovered' GROUP BY user_id HAVING count(*) > 1) d")
        #expect(try twice[0].decode(0, as: Int.self) == 0, "a user was booked twice")
        let booked = Set(try shop.connection.query("SELECT DISTINCT user_id FROM remedy.entries").map { try $0.decode(0, as: String.self) })
        #expect(Set(automatic.adjustments.map(\.userId)).isSubset(of: booked), "the users the stopped run did not reach are booked by the next")
        try shop.remedy(["audit", "verify"]).requireSuccess()
    }
}
