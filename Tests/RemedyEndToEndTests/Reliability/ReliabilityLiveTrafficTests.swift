import Foundation
@testable import RemedyCore
import Testing

extension ReliabilitySuite {
    /// Issue 6: "concurrent top-ups through the trigger and purchases on the same users while
    /// apply runs. At the end every user's excess is what the truth says (zero for the
    /// corrected); users whose excess really changed are reported stale and a re-plan picks them
    /// up; no lost updates."
    @Suite("Live traffic during apply")
    struct LiveTrafficDuringApply {
        static var users: Int { 600 * ReliabilitySettings.scale }
        static let batchSize = 10
        static let trafficThreads = 3
        static var operationsPerThread: Int { 400 * ReliabilitySettings.scale }
        static let handCorrections = 3

        @Test func trafficNeverMakesALineStaleHandCorrectionsDoAndNothingIsLost() throws {
            var random = ReliabilitySettings.random("live traffic")
            let shopSeed = random.next() % 1_000_000 + 1
            let context = "(simulator seed \(shopSeed)) \(ReliabilitySettings.replay)"
            let jobs = try JobsDirectoryCopy(batchSize: LiveTrafficDuringApply.batchSize)
            let shop = try EndToEndShop(users: LiveTrafficDuringApply.users, seed: shopSeed, jobs: jobs.path)
            let bundle = try shop.plan()
            try shop.approve(bundle)
            let plan = try shop.readPlan(bundle)
            try #require(plan.adjustments.count >= 4 * LiveTrafficDuringApply.batchSize, "the plan should span several batches \(context)")
            let truth = try ShopBooks.truth(shop)
            let before = try ShopBooks.read(shop)
            try #require(before.allSatisfy { $0.value.excess == truth[$0.key] }, "the books start as the simulator's truth says \(context)")

            // Hand corrections by someone else (each takes back part of a user's excess, as the
            // shop's staff did), made before apply reaches those users and committed while it runs.
            var handCorrected: [String: Int64] = [:]
            for line in Array(plan.adjustments.shuffled(using: &random).prefix(LiveTrafficDuringApply.handCorrections)) {
                handCorrected[line.userId] = try partialCorrection(of: line)
            }
            let corrector = try shop.database.connect()
            defer { corrector.close() }
            try corrector.execute("BEGIN")
            for (user, sen) in handCorrected {
                try corrector.execute("UPDATE users SET balance = balance - $2::numeric WHERE id = $1::uuid", [user, LiveTraffic.rupiah(sen)])
            }

            // Traffic on every planned user and as many others, before, during and after apply's batches.
            let planned = Set(plan.adjustments.map(\.userId))
            let others = Array(before.keys.filter { !planned.contains($0) }.sorted().shuffled(using: &random).prefix(planned.count))
            let traffic = LiveTraffic(database: shop.database, users: Array(planned).sorted() + others, threads: LiveTrafficDuringApply.trafficThreads,
                                      operationsPerThread: LiveTrafficDuringApply.operationsPerThread, random: &random)
            traffic.start()
            usleep(100_000)
            let apply = try BackgroundRemedy(["apply", bundle, "--key", shop.key("andi"), "--jobs", jobs.path, "--json", "--database-url", shop.database.url])
            usleep(UInt32(random.int(in: 100_000...400_000)))
            let committedWhileApplyRan = apply.isRunning
            try corrector.execute("COMMIT")
            let (run, _, endedAt) = try apply.wait()
            usleep(100_000)
            traffic.stop()
            #expect(traffic.errors.isEmpty, "traffic failed: \(traffic.errors.prefix(3)) \(context)")
            #expect(committedWhileApplyRan, "the hand corrections should commit while apply runs \(context)")
            let operations = traffic.operations
            let during = operations.filter { $0.startedAt >= apply.startedAt && $0.startedAt <= endedAt }
            let duringOnPlanned = during.filter { planned.contains($0.userId) }
            #expect(duringOnPlanned.count >= 10, "traffic on planned users while apply ran: only \(duringOnPlanned.count) operations \(context)")

            // Apply: exit non-zero, exactly the hand-corrected users stale (with both values), every other line applied.
            #expect(run.exitedNonZero, "stale lines make apply exit non-zero \(context)\n\(run)")
            let report = try #require(try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "apply --json: \(run)")
            let applied = Dictionary(uniqueKeysWithValues: ((report["applied"] as? [[String: Any]]) ?? []).map {
                ($0["user_id"] as? String ?? "", (try? Sen.parse($0["delta"] as? String ?? "")) ?? .min)
            })
            let skipped = (report["skipped"] as? [[String: Any]]) ?? []
            let stale = Dictionary(uniqueKeysWithValues: skipped.filter { $0["reason"] as? String == "stale" }.map {
                ($0["user_id"] as? String ?? "", (planned: $0["planned_excess"] as? String ?? "", current: $0["current_excess"] as? String ?? ""))
            })
            #expect(Set(stale.keys) == Set(handCorrected.keys) && skipped.count == handCorrected.count,
                    "stale must be exactly the hand-corrected users \(handCorrected.keys.sorted()); skipped: \(skipped) \(context)")
            #expect(Set(applied.keys) == planned.subtracting(handCorrected.keys), "every other line is applied despite the traffic \(context)\n\(run)")
            for line in plan.adjustments {
                if let x = handCorrected[line.userId] {
                    let planned = try Sen.parse(line.excess.exactText)
                    #expect((try? Sen.parse(stale[line.userId]?.current ?? "")) == planned - x,
                            "\(line.label): reported current excess \(stale[line.userId]?.current ?? "none"), expected planned − hand correction \(context)")
                } else {
                    #expect(applied[line.userId] == (try Sen.parse(line.delta.exactText)), "\(line.label) applied by exactly its delta \(context)")
                }
            }
            // The run's report in the bundle says the same.
            let reports = try FileManager.default.contentsOfDirectory(atPath: bundle + "/runs").filter { $0.hasSuffix(".json") }
            #expect(reports.count == 1, "\(reports) \(context)")
            if let file = reports.first {
                var savedStale = Set<String>(), savedApplied = 0
                let saved = RunReportReading.read(path: bundle + "/runs/" + file) { line in
                    switch line {
                    case .applied: savedApplied += 1
                    case .skipped(let skipped) where skipped.reason == .stale: savedStale.insert(skipped.userId)
                    default: break
                    }
                }
                #expect(saved != nil, "runs/\(file) is a report as apply writes it \(context)")
                #expect(savedStale == Set(handCorrected.keys), "runs/\(file) names the stale users \(context)")
                #expect(savedApplied == applied.count && saved?.isComplete == false, "runs/\(file) \(context)")
            }

            // Every user's books: the excess is the truth's (zero for the corrected, less the hand
            // correction for the stale), and every rupiah of traffic is in both balance and ledger.
            let after = try ShopBooks.read(shop)
            let moved = traffic.movedPerUser
            var wrong: [String] = []
            for (user, was) in before {
                let now = try #require(after[user])
                let delta = applied[user] ?? 0
                let x = handCorrected[user] ?? 0
                let traffic = moved[user] ?? 0
                let expectedExcess = applied[user] != nil ? 0 : truth[user]! - x
                if now.excess != expectedExcess || now.balance != was.balance + traffic + delta - x || now.ledger != was.ledger + traffic {
                    wrong.append("\(user): excess \(now.excess) (expected \(expectedExcess)), balance \(was.balance) → \(now.balance) with traffic \(traffic), apply \(delta), hand \(-x); ledger \(was.ledger) → \(now.ledger)")
                }
            }
            #expect(wrong.isEmpty, "\(wrong.count) users' books are off (sen): \(wrong.prefix(3)) \(context)")
            // verify checks every line of the plan: each corrected user is in balance after the
            // traffic, and exactly the stale (hand-corrected, never applied) users are residuals.
            let verified = try shop.remedy(["verify", bundle, "--jobs", jobs.path, "--json"])
            let residuals = ((try? JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as? [String: Any])?["residuals"] as? [[String: Any]]) ?? []
            #expect(Set(residuals.compactMap { $0["user_id"] as? String }) == Set(handCorrected.keys) && residuals.count == handCorrected.count,
                    "verify's residuals must be exactly the stale users \(context)\n\(verified)")
            #expect(verified.reason == .exit && verified.status == (handCorrected.isEmpty ? 0 : 4), "\(context)\n\(verified)")

            // A new plan picks up the stale users at their new excess and nobody apply corrected.
            let replan = try shop.readPlan(try shop.plan())
            let replanned = Dictionary(replan.adjustments.map { ($0.userId, $0.excess) } + replan.holds.map { ($0.userId, $0.excess) }) { first, _ in first }
            for (user, x) in handCorrected {
                let expected = truth[user]! - x
                #expect((try replanned[user].map { try Sen.parse($0.exactText) }) == expected, "re-plan: \(user) should be in the plan with excess \(expected) sen \(context)")
            }
            let corrected = Set(applied.keys).filter { replanned[$0] != nil }
            #expect(corrected.isEmpty, "re-plan lists users apply already corrected: \(corrected.sorted().prefix(3)) \(context)")

            let topUps = operations.filter { $0.kind != .purchase }.map(\.seconds).sorted()
            print("reliability live traffic \(context): \(operations.count) operations (\(during.count) while apply ran, \(duringOnPlanned.count) of them on planned users), "
                  + "\(applied.count) lines applied, \(stale.count) stale; top-up latency p50 \(milliseconds(topUps, 0.5)) ms, max \(milliseconds(topUps, 1)) ms; apply took "
                  + String(format: "%.2f s", endedAt.timeIntervalSince(apply.startedAt)))
        }

        /// What a hand correction takes back: one top-up's share when several explain the
        /// excess (the rest is then still explained), else Rp 1.000 (the rest then unexplained).
        private func partialCorrection(of line: AdjustmentLine) throws -> Int64 {
            let topUps = line.attribution.topUps
            if topUps.count >= 2 { return try Sen.parse(topUps[0].contribution.exactText) }
            if let first = topUps.first, first.handlerRuns >= 2 { return try Sen.parse(first.amountReceived.exactText) }
            return 100_000
        }
    }
}
