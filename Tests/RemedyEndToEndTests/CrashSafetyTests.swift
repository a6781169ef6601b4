import Foundation
import Postgres
import RemedyCore
import Testing

/// Issue: "Killing the runner mid-apply (and dropping its connection during COMMIT) and running
/// apply again gives the same end state as an uninterrupted run."
///
/// The real `remedy apply` is killed with SIGKILL at checkpoints chosen by a seed (fault injection:
/// `REMEDY_FAULT_KILL_AT=N`), possibly several times on the same database, then run again until
/// it finishes. The end state must be the one an uninterrupted run reaches on an identical
/// database, on one connection or on several (batches side by side, committing out of order).
/// Replay a failure with `REMEDY_E2E_SEED=<the printed seed> swift test --filter CrashSafety`.
@Suite("Crash safety: apply killed mid-run, then run again")
struct CrashSafetyTests {
    static let users = 600
    static let shopSeed: UInt64 = 21
    /// Small, so the plan's lines span several batches (several transactions to die in).
    static let batchSize = 25

    enum Fault: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case kill = "SIGKILL at any checkpoint"
        case commitInFlight = "COMMIT sent, then SIGKILL before the answer"
        var testDescription: String { rawValue }
    }

    /// The uninterrupted pipeline on a second database loaded from the same seed: what every
    /// interrupted run must end as.
    static let reference = Result { try UninterruptedRun.make() }

    @Test(arguments: Fault.allCases, [1, 3])
    func anInterruptedApplyRunAgainEndsExactlyLikeAnUninterruptedOne(fault: Fault, connections: Int) throws {
        let seed = ProcessInfo.processInfo.environment["REMEDY_E2E_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        let replay = "[\(fault), \(connections) connection(s): replay with REMEDY_E2E_SEED=\(seed)]"
        print("crash safety \(replay)")
        var random = SplitMix64(seed: seed &+ UInt64(Fault.allCases.firstIndex(of: fault)!))

        let reference = try CrashSafetyTests.reference.get()
        let jobs = try JobsDirectoryCopy(batchSize: CrashSafetyTests.batchSize)
        let shop = try EndToEndShop(users: CrashSafetyTests.users, seed: CrashSafetyTests.shopSeed, jobs: jobs.path)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let plan = try shop.readPlan(bundle)
        try #require(plan.adjustments.map(\.idempotencyKey) == reference.plannedKeys, "same seed, same data: the same plan lines")
        let batches = stride(from: 0, to: plan.adjustments.count, by: CrashSafetyTests.batchSize).map {
            Array(plan.adjustments[$0..<min($0 + CrashSafetyTests.batchSize, plan.adjustments.count)])
        }
        try #require(batches.count >= 3, "the plan should need several batches; it has \(plan.adjustments.count) lines")
        let original = try shop.balances()

        // Kill rounds: each run resumes what the previous one left, and dies at a chosen checkpoint.
        let rounds = 4
        var killPoints: [String] = []
        for round in 1...rounds {
            let booked = try ApplyState.read(shop)
            let checkpoints = ApplyCheckpoints.expected(batches: batches, booked: booked.discoveredKeys)
            let candidates: [Int]
            switch fault {
            case _ where connections > 1:
                // Side by side, the checkpoints are the same in number but interleave as the
                // batches run: any of them (with a COMMIT in flight, one that is a 'before commit').
                candidates = Array(1...checkpoints.count)
            case .kill:
                candidates = Array(1...checkpoints.count)
            case .commitInFlight:
                // Only a death at 'before commit' of a batch with work has a COMMIT in flight; the
                // first or second such batch, so that later rounds still find batches to die in.
                candidates = Array(checkpoints.indices.filter { checkpoints[$0].name == "before commit" && checkpoints[$0].hasWork }
                    .map { $0 + 1 }.prefix(2))
            }
            guard !candidates.isEmpty else { break }
            let killAt = candidates[Int(random.next() % UInt64(candidates.count))]
            let point = checkpoints[killAt - 1]
            // Side by side, which checkpoint is the N-th is known only once the run has died there.
            let place = connections > 1 ? "checkpoint \(killAt) of a run on \(connections) connections" : "\(point)"
            var environment = [FaultInjection.environmentVariable: String(killAt)]
            if fault == .commitInFlight { environment[FaultInjection.commitInFlightVariable] = "1" }

            let run = try shop.apply(bundle, connections: connections, environment: environment)
            #expect(run.diedOfSIGKILL, "round \(round): REMEDY_FAULT_KILL_AT=\(killAt) should kill apply at \(place) \(replay)\n\(run)")
            let diedAt = connections > 1 ? "checkpoint \(killAt) (" : "checkpoint \(killAt) (\(point.name))"
            #expect(run.stderr.contains(diedAt), "round \(round): died elsewhere than \(place) \(replay)\n\(run)")

            try shop.waitForRemedySessionsToEnd()
            let after = try ApplyState.read(shop)
            var note = ""
            if connections > 1, let named = run.stderr.range(of: "checkpoint \(killAt) (") {
                note = " (\(run.stderr[named.upperBound...].prefix { $0 != ")" }))"
            }
            if fault == .commitInFlight, connections == 1, let batch = point.batch {
                note = batches[batch].allSatisfy { after.discoveredKeys.contains($0.idempotencyKey) } ? " (the COMMIT landed)" : " (the COMMIT was lost)"
            }
            killPoints.append("N=\(killAt) \(place)\(note)")
            print("crash safety \(replay) round \(round): REMEDY_FAULT_KILL_AT=\(killAt) of \(checkpoints.count) checkpoints, \(place)\(note): \(run.diedOfSIGKILL ? "killed" : "NOT killed, \(run.ending)")")
            after.expectEachBatchWhollyDoneOrNot(batches: batches, balances: try shop.balances(), original: original,
                                                 reference: reference.balances, context: "after round \(round) (\(killPoints.last!)) \(replay)")
        }

        // Run again, without faults, until it exits 0: it must, at once.
        let finished = try shop.apply(bundle, connections: connections, json: true)
        #expect(finished.exitedZero, "apply after the kills \(killPoints) \(replay)\n\(finished)")
        if finished.exitedZero {
            let report = try JSONSerialization.jsonObject(with: Data(finished.stdout.utf8)) as? [String: Any]
            let applied = (report?["applied"] as? [Any])?.count ?? -1
            let alreadyApplied = (report?["already_applied"] as? [Any])?.count ?? -1
            #expect(applied + alreadyApplied == plan.adjustments.count, "every line booked, by this run or an earlier one \(replay)")
            #expect((report?["skipped"] as? [Any])?.isEmpty == true, "\(replay)")
        }

        // The end state is the uninterrupted run's.
        let end = try ApplyState.read(shop)
        let balances = try shop.balances()
        let wrong = reference.balances.keys.sorted().filter { balances[$0] != reference.balances[$0] }
        #expect(wrong.isEmpty, "\(wrong.count) balances differ from the uninterrupted run, e.g. \(wrong.prefix(3).map { "\($0): \(balances[$0] ?? "none") vs \(reference.balances[$0]!)" }) \(replay) kills \(killPoints)")
        #expect(balances.count == reference.balances.count)
        #expect(end.entryCount == reference.state.entryCount, "remedy.entries rows \(replay)")
        #expect(end.discoveredKeys == reference.state.discoveredKeys, "booked idempotency keys \(replay)")
        #expect(end.reversalKeys == reference.state.reversalKeys, "reversal keys \(replay)")
        // Each planned excess discovered once, per user, to the sen; and audited once.
        for line in plan.adjustments {
            let booked = end.discoveredPerUser[line.userId]
            #expect(booked?.count == 1 && booked?.sum == line.excess.exactText,
                    "user \(line.userId): discovered \(booked.map { "\($0.count)× totalling \($0.sum)" } ?? "nothing"), planned excess \(line.excess.exactText) once \(replay)")
            #expect(end.appliedAuditRows[line.userId] == 1, "user \(line.userId) has \(end.appliedAuditRows[line.userId] ?? 0) correction.applied audit rows \(replay)")
        }
        #expect(Set(end.discoveredPerUser.keys) == Set(plan.adjustments.map(\.userId)), "nobody outside the plan was booked \(replay)")
        #expect(try shop.count("remedy.leases") == 0, "the finished run released the lease it took over \(replay)")

        let verified = try shop.remedy(["verify", bundle, "--jobs", jobs.path])
        #expect(verified.exitedZero, "remedy verify \(replay)\n\(verified)")
        let audit = try shop.remedy(["audit", "verify"])
        #expect(audit.exitedZero, "remedy audit verify \(replay)\n\(audit)")
        print("crash safety \(replay): kill points \(killPoints.joined(separator: "; "))")
    }
}

/// The checkpoints one `remedy apply` run passes (see FaultInjection), predicted from what is
/// already booked: a batch whose lines are all booked skips 'entries booked' and 'balances moved'.
struct ApplyCheckpoints {
    struct Point: CustomStringConvertible {
        let name: String
        let batch: Int?
        let hasWork: Bool
        var description: String { batch.map { "'\(name)' of batch \($0 + 1)" } ?? "'\(name)'" }
    }

    static func expected(batches: [[AdjustmentLine]], booked: Set<String>) -> [Point] {
        var points = [Point(name: "run started", batch: nil, hasWork: false)]
        for (index, batch) in batches.enumerated() {
            let hasWork = !batch.allSatisfy { booked.contains($0.idempotencyKey) }
            let names = hasWork
                ? ["rows locked", "entries booked", "balances moved", "before commit", "after commit", "between batches"]
                : ["rows locked", "before commit", "after commit", "between batches"]
            points += names.map { Point(name: $0, batch: index, hasWork: hasWork) }
        }
        return points
    }
}

/// What remedy has booked in a database.
struct ApplyState {
    var entryCount: Int
    var discoveredKeys: Set<String>
    var reversalKeys: Set<String>
    /// user id → (entries, Σ amount as exact text) of kind 'discovered'.
    var discoveredPerUser: [String: (count: Int, sum: String)]
    /// user id → number of correction.applied audit rows.
    var appliedAuditRows: [String: Int]

    static func read(_ shop: EndToEndShop) throws -> ApplyState {
        let c = shop.connection
        var state = ApplyState(entryCount: try shop.count("remedy.entries"), discoveredKeys: [], reversalKeys: [], discoveredPerUser: [:], appliedAuditRows: [:])
        for row in try c.query("SELECT idempotency_key, kind FROM remedy.entries") {
            let key = try row.decode(0, as: String.self)
            switch try row.decode(1, as: String.self) {
            case "discovered": state.discoveredKeys.insert(key)
            case "reversal": state.reversalKeys.insert(key)
            default: break
            }
        }
        for row in try c.query("SELECT user_id, count(*), sum(amount)::text FROM remedy.entries WHERE kind = 'discovered' GROUP BY user_id") {
            state.discoveredPerUser[try row.decode(0, as: String.self)] = (try row.decode(1, as: Int.self), try row.decode(2, as: String.self))
        }
        for row in try c.query("SELECT user_id, count(*) FROM remedy.audit_log WHERE action = 'correction.applied' GROUP BY user_id") {
            state.appliedAuditRows[try row.decode(0, as: String.self)] = try row.decode(1, as: Int.self)
        }
        return state
    }
}

/// The pipeline without faults, on its own database.
struct UninterruptedRun: Sendable {
    let balances: [String: String]
    let plannedKeys: [String]
    let state: State

    /// ApplyState without the tuple dictionary, so the reference can be shared between tests.
    struct State: Sendable {
        let entryCount: Int
        let discoveredKeys: Set<String>
        let reversalKeys: Set<String>
    }

    static func make() throws -> UninterruptedRun {
        let jobs = try JobsDirectoryCopy(batchSize: CrashSafetyTests.batchSize)
        let shop = try EndToEndShop(users: CrashSafetyTests.users, seed: CrashSafetyTests.shopSeed, jobs: jobs.path)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        try shop.apply(bundle).requireSuccess()
        let state = try ApplyState.read(shop)
        return UninterruptedRun(balances: try shop.balances(), plannedKeys: try shop.readPlan(bundle).adjustments.map(\.idempotencyKey),
                                state: State(entryCount: state.entryCount, discoveredKeys: state.discoveredKeys, reversalKeys: state.reversalKeys))
    }
}

/// A tiny seeded generator (SplitMix64), so kill points replay from the printed seed.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
