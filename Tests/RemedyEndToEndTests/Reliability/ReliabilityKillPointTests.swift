import Foundation
import RemedyCore
import ShopSimulator
import Testing

extension ReliabilitySuite {
    /// Issue 6: "kill the runner with SIGKILL at 50 or more points of apply chosen by the seed
    /// (between statements, between batches, and with the connection cut while COMMIT is in
    /// flight), run apply again, and check each time that the end state equals an uninterrupted
    /// run, that no excess is taken back twice, and that `audit verify` passes."
    ///
    /// Per shop (a database of its own, simulator seed and trigger variant from the master seed):
    /// plan and approve once, freeze the database, apply without faults (the reference), then
    /// scenarios: put the database back, kill apply 1-6 times in a row (each run resuming what
    /// the last left), check after every death, then apply again without faults and compare
    /// everything with the reference.
    @Suite("Seeded fault injection: apply killed at 50+ points, then run again")
    struct KillPoints {
        static let shops = 2
        static var users: Int { 400 * ReliabilitySettings.scale }
        static var killsPerShop: Int { 26 * ReliabilitySettings.scale }
        /// Small, so a plan has many batches and a run many checkpoints to die at.
        static let batchSize = 10

        @Test(arguments: 0..<shops)
        func everyKilledApplyRunAgainEndsLikeTheUninterruptedRun(shopIndex: Int) throws {
            let started = Date()
            var random = ReliabilitySettings.random("kill points, shop \(shopIndex)")
            let shopSeed = random.next() % 1_000_000 + 1
            let variant: TriggerVariant = shopIndex % 2 == 0 ? .guarded : .refiring
            let context = "shop \(shopIndex) (simulator seed \(shopSeed), \(variant) trigger) \(ReliabilitySettings.replay)"

            let jobs = try JobsDirectoryCopy(batchSize: KillPoints.batchSize)
            let shop = try EndToEndShop(users: KillPoints.users, seed: shopSeed, jobs: jobs.path, variant: variant)
            let bundle = try shop.plan()
            try shop.approve(bundle)
            let plan = try shop.readPlan(bundle)
            let batches = stride(from: 0, to: plan.adjustments.count, by: KillPoints.batchSize).map {
                Array(plan.adjustments[$0..<min($0 + KillPoints.batchSize, plan.adjustments.count)])
            }
            try #require(batches.count >= 3, "the plan should need several batches; it has \(plan.adjustments.count) lines \(context)")
            let original = try shop.balances()
            let snapshot = try ShopSnapshot(shop)

            // The uninterrupted run: what every interrupted one must end as.
            try shop.apply(bundle).requireSuccess()
            let reference = try ApplyEndState.read(shop)
            try #require(reference.entries.count == 2 * plan.adjustments.count, "\(context)")

            var kills: [KillPoint] = []
            var scenario = 0
            while kills.count < KillPoints.killsPerShop {
                scenario += 1
                try snapshot.restore(bundle: bundle)
                let chain = min(random.int(in: 1...6), KillPoints.killsPerShop - kills.count)
                var chainKills: [String] = []
                for round in 1...chain {
                    let booked = try ApplyState.read(shop).discoveredKeys
                    let kill = KillPoint.choose(batches: batches, booked: booked, random: &random)
                    let here = "scenario \(scenario), death \(round) of \(chain): \(kill); \(context)"
                    let run = try shop.apply(bundle, environment: kill.environment)
                    #expect(run.diedOfSIGKILL && run.stderr.contains("checkpoint \(kill.number) (\(kill.point.name))"),
                            "apply should have died at \(here)\n\(run)")
                    try shop.waitForRemedySessionsToEnd()
                    let after = try expectConsistentAfterDeath(shop, batches: batches, original: original, reference: reference, context: here)
                    kills.append(kill)
                    var note = ""
                    if kill.kind == .commitInFlight, let batch = kill.point.batch {
                        note = batches[batch].allSatisfy { after.discoveredKeys.contains($0.idempotencyKey) } ? " (the COMMIT landed)" : " (the COMMIT was lost)"
                    }
                    chainKills.append(kill.description + note)
                }
                let here = "scenario \(scenario) after \(chainKills.joined(separator: ", then ")); \(context)"
                try expectApplyAgainFinishesLikeTheReference(shop, bundle: bundle, jobs: jobs.path, lines: plan.adjustments.count,
                                                             deaths: chain, reference: reference, context: here)
                print("reliability kill points \(context): scenario \(scenario): \(chainKills.joined(separator: ", then ")), then apply again: end state checked")
            }
            let byKind = Dictionary(grouping: kills, by: \.kind).mapValues(\.count)
            print("reliability kill points \(context): \(kills.count) kill points in \(scenario) scenarios, \(plan.adjustments.count) lines in \(batches.count) batches; by kind: "
                  + KillPoint.Kind.allCases.map { "\($0.rawValue) \(byKind[$0] ?? 0)" }.joined(separator: ", ")
                  + String(format: "; %.1f s", Date().timeIntervalSince(started)))
        }

        /// After a death: each batch wholly booked or not, balances either as before or as the
        /// reference, nobody booked or audited twice, the audit chain intact.
        @discardableResult
        private func expectConsistentAfterDeath(_ shop: EndToEndShop, batches: [[AdjustmentLine]], original: [String: String],
                                                reference: ApplyEndState, context: String) throws -> ApplyState {
            let state = try ApplyState.read(shop)
            state.expectEachBatchWhollyDoneOrNot(batches: batches, balances: try shop.balances(), original: original,
                                                 reference: reference.balances, context: context)
            let twice = state.discoveredPerUser.filter { $0.value.count > 1 }.keys.sorted() + state.appliedAuditRows.filter { $0.value > 1 }.keys.sorted()
            #expect(twice.isEmpty, "taken back (or audited) twice: \(twice.prefix(3)) after \(context)")
            #expect(Set(state.appliedAuditRows.keys) == Set(state.discoveredPerUser.keys), "each booked correction has its audit row, and only those, after \(context)")
            let chain = try AuditLog(connection: shop.connection).verify()
            #expect(chain.firstBroken == nil, "audit chain broken at \(chain.firstBroken.map { "\($0.seq): \($0.reason)" } ?? "") after \(context)")
            return state
        }

        /// Apply without faults finishes at once; the end state is the reference's; every dead
        /// run was marked interrupted; verify and audit verify pass.
        private func expectApplyAgainFinishesLikeTheReference(_ shop: EndToEndShop, bundle: String, jobs: String, lines: Int, deaths: Int,
                                                              reference: ApplyEndState, context: String) throws {
            let finished = try shop.apply(bundle, json: true)
            #expect(finished.exitedZero, "apply again: \(context)\n\(finished)")
            if finished.exitedZero {
                let report = try JSONSerialization.jsonObject(with: Data(finished.stdout.utf8)) as? [String: Any]
                let applied = (report?["applied"] as? [Any])?.count ?? -1
                let alreadyApplied = (report?["already_applied"] as? [Any])?.count ?? -1
                #expect(applied + alreadyApplied == lines && (report?["skipped"] as? [Any])?.isEmpty == true,
                        "every line booked once, now or before (applied \(applied), already \(alreadyApplied) of \(lines)): \(context)")
            }
            let differences = try ApplyEndState.read(shop).differences(from: reference)
            #expect(differences.isEmpty, "the end state differs from the uninterrupted run: \(differences.joined(separator: "; ")); \(context)")
            let outcomes = try shop.connection.query("SELECT coalesce(outcome, 'unfinished') FROM remedy.runs ORDER BY started_at, id").map { try $0.decode(0, as: String.self) }
            #expect(outcomes == Array(repeating: "interrupted", count: deaths) + ["complete"], "runs' outcomes \(outcomes): \(context)")
            #expect(try shop.count("remedy.leases") == 0, "the lease is released: \(context)")
            // A killed run spooled its report's lines to files unlinked once open: it leaves none.
            let runFiles = try FileManager.default.contentsOfDirectory(atPath: bundle + "/runs")
            #expect(runFiles.count == 1 && runFiles.allSatisfy { $0.hasSuffix(".json") && !$0.hasPrefix(".") }, "runs/ holds only the finished run's report: \(runFiles); \(context)")
            let verified = try shop.remedy(["verify", bundle, "--jobs", jobs])
            #expect(verified.exitedZero, "remedy verify: \(context)\n\(verified)")
            let audit = try shop.remedy(["audit", "verify"])
            #expect(audit.exitedZero, "remedy audit verify: \(context)\n\(audit)")
        }
    }
}
