import Foundation
import RemedyCore
import Testing

extension ReliabilitySuite {
    /// Issue 6: "apply's transactions stay short (lock_timeout, statement_timeout), so live
    /// traffic wins a contention and apply retries or reports."
    ///
    /// Another session holds a planned user's row for as long as apply runs. Apply (each batch
    /// under `SET LOCAL lock_timeout`) must give up on that row after the lock timeout, retry,
    /// then report that one line `contended` and apply every other line; meanwhile live top-ups
    /// on the other users never wait longer than a batch plus the lock timeout.
    @Suite("Lock hygiene: live traffic wins a contention")
    struct LockHygiene {
        static var users: Int { 400 * ReliabilitySettings.scale }
        static let batchSize = 10
        static let lockTimeoutMilliseconds = 250

        @Test func aRowHeldByTrafficIsRetriedThenReportedContendedAndEveryOtherLineApplies() throws {
            var random = ReliabilitySettings.random("lock hygiene")
            let shopSeed = random.next() % 1_000_000 + 1
            let context = "(simulator seed \(shopSeed)) \(ReliabilitySettings.replay)"
            let jobs = try JobsDirectoryCopy { yaml in
                Data(String(decoding: yaml, as: UTF8.self)
                    .replacingOccurrences(of: "  batch_size: 100", with: "  batch_size: \(LockHygiene.batchSize)")
                    .replacingOccurrences(of: "  lock_timeout_milliseconds: 2000", with: "  lock_timeout_milliseconds: \(LockHygiene.lockTimeoutMilliseconds)").utf8)
            }
            let shop = try EndToEndShop(users: LockHygiene.users, seed: shopSeed, jobs: jobs.path)
            let bundle = try shop.plan()
            try shop.approve(bundle)
            let plan = try shop.readPlan(bundle)
            let batches = plan.adjustments.count / LockHygiene.batchSize
            try #require(batches >= 3, "the plan should span several batches \(context)")
            // Not in the first batch: the batches before it give the figures to compare with.
            let held = plan.adjustments[random.int(in: LockHygiene.batchSize...(plan.adjustments.count - 1))]

            let holder = try shop.database.connect()
            defer { holder.close() }
            try holder.execute("BEGIN")
            _ = try holder.query("SELECT 1 FROM users WHERE id = $1::uuid FOR UPDATE", [held.userId])
            let planned = Set(plan.adjustments.map(\.userId))
            let traffic = LiveTraffic(database: shop.database, users: Array(planned.subtracting([held.userId])).sorted(), threads: 2,
                                      operationsPerThread: 1_000 * ReliabilitySettings.scale, random: &random)
            traffic.start()
            let apply = try BackgroundRemedy(["apply", bundle, "--key", shop.key("andi"), "--jobs", jobs.path, "--json", "--database-url", shop.database.url])
            // Apply is seen waiting on the held row (a lock wait), and then going on without it.
            var sawApplyWaiting = false
            while apply.isRunning {
                sawApplyWaiting = try sawApplyWaiting || shop.connection.query("""
                    SELECT count(*) FROM pg_stat_activity
                     WHERE datname = current_database() AND application_name = 'remedy' AND wait_event_type = 'Lock'
                    """)[0].decode(0, as: Int.self) > 0
                usleep(20_000)
            }
            let (run, stderrLines, endedAt) = try apply.wait(timeoutSeconds: 120)
            try holder.execute("ROLLBACK")
            traffic.stop()
            #expect(traffic.errors.isEmpty, "traffic failed: \(traffic.errors.prefix(3)) \(context)")
            #expect(sawApplyWaiting, "apply should have waited on the held row \(context)")

            // The held line is reported contended after retries; every other line is applied.
            #expect(run.exitedNonZero, "a contended line makes apply exit non-zero \(context)\n\(run)")
            let report = try #require(try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "apply --json: \(run)")
            let skipped = (report["skipped"] as? [[String: Any]]) ?? []
            #expect(skipped.count == 1 && skipped.first?["user_id"] as? String == held.userId && skipped.first?["reason"] as? String == "contended",
                    "only \(held.label) (\(held.userId)) should be reported contended; skipped: \(skipped.map { "\($0["user_id"] ?? "") \($0["reason"] ?? "")" }) \(context)")
            let applied = Set(((report["applied"] as? [[String: Any]]) ?? []).compactMap { $0["user_id"] as? String })
            let notApplied = planned.subtracting([held.userId]).subtracting(applied)
            #expect(applied.count == planned.count - 1 && notApplied.isEmpty, "every other line applies: \(applied.count) of \(planned.count - 1), missing \(notApplied.sorted().prefix(3)) \(context)")
            let audited = try shop.connection.query("""
                SELECT user_id FROM remedy.audit_log WHERE action = 'correction.skipped' AND content LIKE '%"reason":"contended"%'
                """).map { try $0.decode(0, as: String.self) }
            #expect(audited == [held.userId], "the contended line, and only it, has its audit row: \(audited) \(context)")
            let retries = stderrLines.filter { $0.text.contains("batch contended (55P03)") }
            #expect(retries.count >= 2, "apply retries the contended batch before reporting \(context)\n\(run)")

            // Top-ups on the other users waited at most about one batch plus the lock timeout.
            let progress = stderrLines.filter { $0.text.hasPrefix("remedy: apply: ") }
            let gaps = zip(progress.dropFirst(), progress).map { $0.at.timeIntervalSince($1.at) }
            let longestBatch = gaps.max() ?? endedAt.timeIntervalSince(apply.startedAt)
            let lockTimeout = Double(LockHygiene.lockTimeoutMilliseconds) / 1000
            let topUps = traffic.operations.filter { $0.kind != .purchase && $0.startedAt >= apply.startedAt && $0.startedAt <= endedAt }.map(\.seconds).sorted()
            try #require(topUps.count >= 10, "top-ups should run while apply does; only \(topUps.count) \(context)")
            let longestTopUp = topUps.last!
            // Generous: a loaded two-core CI machine may pause any process for a while.
            let slack = 1.0
            #expect(longestTopUp <= longestBatch + lockTimeout + slack,
                    "a top-up waited \(milliseconds(topUps, 1)) ms; longest batch (with its retry pause) \(Int(longestBatch * 1000)) ms + lock_timeout \(LockHygiene.lockTimeoutMilliseconds) ms + slack \(Int(slack * 1000)) ms \(context)")
            print("reliability lock hygiene \(context): \(held.label) held by another session; apply retried \(retries.count) times, reported it contended, applied \(applied.count) lines in "
                  + String(format: "%.2f s", endedAt.timeIntervalSince(apply.startedAt))
                  + "; \(topUps.count) top-ups during apply: p50 \(milliseconds(topUps, 0.5)) ms, p99 \(milliseconds(topUps, 0.99)) ms, max \(milliseconds(topUps, 1)) ms; "
                  + "bound = longest batch \(Int(longestBatch * 1000)) ms + lock_timeout \(LockHygiene.lockTimeoutMilliseconds) ms")

            // Once the row is free, apply again books just that line.
            let again = try shop.apply(bundle, json: true)
            #expect(again.exitedZero, "\(context)\n\(again)")
            let second = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
            #expect(((second?["applied"] as? [[String: Any]]) ?? []).compactMap { $0["user_id"] as? String } == [held.userId], "\(context)\n\(again)")
            #expect((second?["already_applied"] as? [Any])?.count == planned.count - 1, "\(context)")
        }
    }
}
