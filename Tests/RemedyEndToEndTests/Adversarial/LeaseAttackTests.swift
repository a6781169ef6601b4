import Foundation
import Postgres
import Testing

/// Issue 10, item 10: one runner per job. The lease was renewed only between batches, so a batch
/// stuck on a lock could outlive it while a second runner took the job over; and a lease whose
/// holder's pid was gone "on this host" was taken over at once, even when that pid belonged to
/// another pid namespace (a container with the same host name), where the check means nothing.
@Suite("Adversarial: the apply lease")
struct LeaseAttackTests {
    static let job = "tripay-double-credit"

    @Test func aDeadLookingHolderInAnotherPidNamespaceIsNotTakenOverButCanBeBrokenOnTheRecord() throws {
        let shop = try EndToEndShop(users: 120, seed: 1013)
        let bundle = try shop.plan()
        try shop.approve(bundle)

        // A runner in a container with this host's name holds the job; its pid is not alive here,
        // which says nothing about it there.
        _ = try shop.connection.execute("""
            INSERT INTO remedy.leases (job, owner, host, pid, acquired_at, expires_at)
            VALUES ($1, gen_random_uuid(), $2, $3, now(), now() + interval '1 hour')
            """, [LeaseAttackTests.job, ProcessInfo.processInfo.hostName, try leaseDeadPid()])
        try expectRefusal(["apply", bundle, "--key", shop.key("andi"), "--jobs", shop.jobs], in: shop,
                          mentioning: ["is being run by pid", "remedy lease break"])

        // Breaking it takes a trusted key, and --force while it is unexpired; it is audited.
        try expectRefusal(["lease", "break", LeaseAttackTests.job, "--key", shop.key("eve")], in: shop, mentioning: ["eve", "not a trusted"])
        try expectRefusal(["lease", "break", LeaseAttackTests.job, "--key", shop.key("andi")], in: shop, mentioning: ["unexpired", "--force"])
        try expectRefusal(["lease", "break", "no-such-job", "--key", shop.key("andi"), "--force"], in: shop, mentioning: ["no lease", "no-such-job"])
        let broken = try shop.remedy(["lease", "break", LeaseAttackTests.job, "--key", shop.key("andi"), "--force"])
        #expect(broken.exitedZero && broken.stdout.contains("broke the lease"), "\(broken)")
        #expect(try shop.count("remedy.leases") == 0)
        let audited = try shop.connection.query("SELECT actor FROM remedy.audit_log WHERE action = 'lease.broken'")
        let actors = try audited.map { try $0.decode(0, as: String.self) }
        #expect(actors == ["andi"], "one lease.broken row by andi")

        // A dead holder in this very pid namespace is taken over at once.
        _ = try shop.connection.execute("""
            INSERT INTO remedy.leases (job, owner, host, pid, pid_namespace, acquired_at, expires_at)
            VALUES ($1, gen_random_uuid(), $2, $3, $4, now(), now() + interval '1 hour')
            """, [LeaseAttackTests.job, ProcessInfo.processInfo.hostName, try leaseDeadPid(), try leasePidNamespace()])
        let applied = try shop.apply(bundle)
        #expect(applied.exitedZero, "\(applied)")
        #expect(try shop.count("remedy.leases") == 0)
        #expect(try shop.remedy(["audit", "verify"]).exitedZero)
    }

    @Test func aBatchThatOutlivesTheLeaseIsNotOvertakenByASecondRunner() throws {
        let jobs = try JobsDirectoryCopy(replacingEach: [
            ("  batch_size: 100", "  batch_size: 5"), ("  lease_seconds: 300", "  lease_seconds: 10"),
            ("  lock_timeout_milliseconds: 2000", "  lock_timeout_milliseconds: 60000"),
            ("  statement_timeout_milliseconds: 30000", "  statement_timeout_milliseconds: 90000"),
        ])
        let shop = try EndToEndShop(users: 200, seed: 1014, jobs: jobs.path)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let plan = try shop.readPlan(bundle)
        try #require(plan.adjustments.count >= 10, "the plan should span several batches")

        // Live traffic holds a row of the second batch: runner A waits on it past its lease.
        let holder = try shop.database.connect()
        defer { holder.close() }
        _ = try holder.execute("BEGIN")
        _ = try holder.query("SELECT 1 FROM users WHERE id = $1::uuid FOR UPDATE", [plan.adjustments[5].userId])
        let arguments = ["apply", bundle, "--key", shop.key("andi"), "--jobs", jobs.path, "--database-url", shop.database.url]
        let runnerA = try BackgroundRemedy(arguments)
        try leaseWait("runner A waits on the held row", in: shop) { try lockWaiters(shop) >= 1 }
        try leaseWait("runner A's lease expires", in: shop) {
            try shop.connection.query("SELECT expires_at < now() FROM remedy.leases")[0].decode(0, as: Bool.self)
        }

        // Runner B starts while A is still in its batch, then the row is let go.
        let runnerB = try BackgroundRemedy(arguments)
        try leaseWait("runner B takes the lease or queues for it", in: shop) { try shop.count("remedy.runs") == 2 || lockWaiters(shop) >= 2 }
        _ = try holder.execute("ROLLBACK")
        let a = try runnerA.wait(timeoutSeconds: 120).run
        let b = try runnerB.wait(timeoutSeconds: 120).run

        // Never two runners at once. Either B took the job over once A's batch had committed (A
        // then stops at its next batch, and nothing A booked comes after B's start), or A renewed
        // first and B was refused, writing nothing.
        let runs = try shop.connection.query("SELECT id::text FROM remedy.runs ORDER BY started_at").map { try $0.decode(0, as: String.self) }
        if runs.count == 2 {
            #expect(b.exitedZero, "runner B finishes the plan\n\(b)")
            #expect(a.exitedNonZero && a.stderrLines.last?.contains("lease") == true, "runner A stops, saying it lost the lease\n\(a)")
            let bStarted = try shop.connection.query(
                "SELECT seq FROM remedy.audit_log WHERE action = 'apply.started' AND (content::jsonb)->>'run_id' = $1", [runs[1]])[0].decode(0, as: Int64.self)
            let overtaken = try shop.connection.query("""
                SELECT count(*) FROM remedy.audit_log
                 WHERE action = 'correction.applied' AND (content::jsonb)->>'run_id' = $1 AND seq > $2
                """, [runs[0], bStarted])[0].decode(0, as: Int.self)
            #expect(overtaken == 0, "runner A booked \(overtaken) correction(s) after runner B had taken the job over")
        } else {
            #expect(runs.count == 1, "one run per runner at most: \(runs)")
            try expectOneErrorLine(b, mentioning: ["is being run by pid"])
            #expect(a.exitedZero, "runner A kept its lease and finished\n\(a)")
        }
        let booked = try shop.connection.query("SELECT count(*), count(DISTINCT idempotency_key) FROM remedy.entries WHERE kind = 'discovered'")[0]
        let (rows, keys) = (try booked.decode(0, as: Int.self), try booked.decode(1, as: Int.self))
        #expect(rows == plan.adjustments.count && keys == plan.adjustments.count, "each line booked once: \(rows) rows, \(keys) keys")
        #expect(try shop.remedy(["verify", bundle, "--jobs", jobs.path]).exitedZero)
        #expect(try shop.remedy(["audit", "verify"]).exitedZero)
    }
    /// Apply's batches hold the lease FOR KEY SHARE (so that batches on two connections run side
    /// by side) and only one batch in every quarter of the lease renews it. A run several leases
    /// long must never let it lapse: a lapsed lease can be taken by a second runner between two
    /// batches.
    @Test func aRunLongerThanItsLeaseOnTwoConnectionsKeepsItRenewed() throws {
        let jobs = try JobsDirectoryCopy(replacingEach: [("  batch_size: 100", "  batch_size: 1"), ("  lease_seconds: 300", "  lease_seconds: 10")])
        let shop = try EndToEndShop(users: 200, seed: 1015, jobs: jobs.path)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let lines = try shop.readPlan(bundle).adjustments.count
        try #require(lines >= 10, "the plan should have lines to spread over time")
        // Every balance moved waits, so that the run lasts about 25 s: two and a half leases.
        try pauseEachBalanceMove(in: shop, seconds: 25.0 * 2 / Double(lines))

        let runner = try BackgroundRemedy(["apply", bundle, "--key", shop.key("andi"), "--jobs", jobs.path, "--connections", "2",
                                           "--database-url", shop.database.url])
        var lapsed: [String] = []
        var expiries = Set<String>()
        while runner.isRunning {
            let row = try shop.connection.query("SELECT expires_at::text, expires_at < now() FROM remedy.leases")
            if let lease = row.first {
                expiries.insert(try lease.decode(0, as: String.self))
                if try lease.decode(1, as: Bool.self) { lapsed.append(try lease.decode(0, as: String.self)) }
            }
            usleep(200_000)
        }
        let run = try runner.wait().run
        #expect(run.exitedZero, "\(run)")
        #expect(lapsed.count == 0, "the lease was seen lapsed while apply ran, first expiring at \(lapsed.first ?? "")")
        #expect(expiries.count >= 4, "a 25 s run renews a 10 s lease every 2.5 s; seen \(expiries.count) expiries")
        #expect(try shop.count("remedy.leases") == 0, "released at the end")
        #expect(try shop.remedy(["verify", bundle, "--jobs", jobs.path]).exitedZero)
    }

    /// On two connections a live runner leaves hardly a gap between its batches' holds on the lease
    /// row, so nothing may wait for one: a second runner is refused while the first still runs,
    /// and a forced break stops it at its next batch, long before its end, every batch booked
    /// whole; a run afterwards finishes the plan.
    @Test func aLiveRunnerOnTwoConnectionsIsRefusedToASecondAndStoppedByABreakWhileItRuns() throws {
        let jobs = try JobsDirectoryCopy(batchSize: 1)
        let shop = try EndToEndShop(users: 200, seed: 1016, jobs: jobs.path)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let plan = try shop.readPlan(bundle)
        try #require(plan.adjustments.count >= 10, "the plan should have lines to spread over time")
        // Every balance moved waits, so that the run would last about 60 s.
        try pauseEachBalanceMove(in: shop, seconds: 60.0 * 2 / Double(plan.adjustments.count))
        let arguments = ["apply", bundle, "--key", shop.key("andi"), "--jobs", jobs.path, "--connections", "2", "--database-url", shop.database.url]
        let runner = try BackgroundRemedy(arguments)
        try leaseWait("the runner has booked a few batches", in: shop) { try shop.count("remedy.entries") >= 4 }

        let second = try shop.remedy(["apply", bundle, "--key", shop.key("andi"), "--jobs", jobs.path, "--connections", "2"])
        #expect(runner.isRunning, "the second runner was answered only once the first had ended")
        try expectOneErrorLine(second, mentioning: ["is being run by pid"])

        let broken = try shop.remedy(["lease", "break", LeaseAttackTests.job, "--key", shop.key("andi"), "--force"])
        #expect(broken.exitedZero && broken.stdout.contains("broke the lease"), "\(broken)")
        let stopped = try runner.wait(timeoutSeconds: 60).run
        #expect(stopped.exitedNonZero && stopped.stderrLines.last?.contains("lease") == true, "the runner stops, saying it lost the lease\n\(stopped)")
        try shop.waitForRemedySessionsToEnd()

        let state = try ApplyState.read(shop)
        #expect(state.discoveredKeys.count < plan.adjustments.count, "the break stopped the run before the end")
        #expect(state.reversalKeys == state.discoveredKeys, "every batch booked whole")
        _ = try shop.connection.execute("DROP TRIGGER remedy_test_pause ON public.users")
        let finished = try shop.apply(bundle, connections: 2)
        #expect(finished.exitedZero, "\(finished)")
        #expect(try ApplyState.read(shop).discoveredKeys == Set(plan.adjustments.map(\.idempotencyKey)), "each line booked once in all")
        #expect(try shop.remedy(["verify", bundle, "--jobs", jobs.path]).exitedZero)
        #expect(try shop.remedy(["audit", "verify"]).exitedZero)
    }
}

/// A trigger that makes every update of a balance wait `seconds` (dropped as `remedy_test_pause`),
/// so that an apply runs long enough to watch. It changes nothing: apply's check that each balance
/// moved by exactly its delta still holds.
private func pauseEachBalanceMove(in shop: EndToEndShop, seconds: Double) throws {
    _ = try shop.connection.execute("""
        CREATE FUNCTION public.remedy_test_pause() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(\(seconds)); RETURN NEW; END $$
        """)
    _ = try shop.connection.execute("CREATE TRIGGER remedy_test_pause AFTER UPDATE OF balance ON public.users FOR EACH ROW EXECUTE FUNCTION public.remedy_test_pause()")
}

/// remedy sessions of this database waiting on a lock.
private func lockWaiters(_ shop: EndToEndShop) throws -> Int {
    try shop.connection.query("""
        SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'remedy' AND wait_event_type = 'Lock'
        """)[0].decode(0, as: Int.self)
}

private func leaseWait(_ what: String, in shop: EndToEndShop, timeoutSeconds: Double = 60, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    while try !condition() {
        guard Date() < deadline else { throw RemedyProcess.Failure(description: "timed out waiting until \(what)") }
        usleep(50_000)
    }
}

/// The pid of a process that has ended (and been reaped) on this host.
private func leaseDeadPid() throws -> Int {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return Int(process.processIdentifier)
}

/// This process's pid namespace as remedy records it: the kernel's boot id and the namespace's
/// inode (remedy runs as a child of the tests, in the same namespace).
private func leasePidNamespace() throws -> String {
    let boot = try String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    return boot + "/" + (try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid"))
}
