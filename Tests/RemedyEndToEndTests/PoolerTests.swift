import Foundation
import Postgres
import RemedyCore
import Testing
import TestSupport

/// Supabase shops are reached through a transaction-mode pooler: remedy must give the same results
/// through it as on a direct connection, with other clients of the pooler changing session settings.
@Suite("Through a transaction-mode PgBouncer", .serialized)
struct PoolerTests {
    /// The double-credit job end to end through PgBouncer (a pool of 2 server connections shared by
    /// remedy and two clients that SET TimeZone, DateStyle and search_path between transactions),
    /// and directly on an identical shop (same seed): the same plan, the same end state. Through the
    /// pooler apply runs its batches on two connections side by side; directly, on one.
    @Test(.enabled(if: TestPooler.isAvailable, "pgbouncer is not installed: `apt-get install -y pgbouncer` to run the pooler tests (CI does, with REMEDY_REQUIRE_PGBOUNCER=1)"))
    func theDoubleCreditJobThroughThePoolerEndsAsADirectRun() throws {
        let pooler = try TestPooler(poolSize: 2)
        defer { pooler.stop() }

        let pooled = try EndToEndShop(users: 200, seed: 93, initialize: false)
        pooled.remedyDatabaseURL = pooler.connectionURL(database: pooled.database.name)
        let direct = try EndToEndShop(users: 200, seed: 93, initialize: false)

        let noise = [SettingsChurn(url: pooled.remedyDatabaseURL), SettingsChurn(url: pooled.remedyDatabaseURL)]
        defer { noise.forEach { $0.stop() } }
        let pooledRun = try Self.runPipeline(pooled, applyConnections: 2)
        let churned = noise.map { $0.stop() }.reduce(0, +)
        #expect(noise.compactMap(\.error).isEmpty, "\(noise.compactMap(\.error))")
        #expect(churned > 0, "the other clients changed settings while remedy ran")
        #expect(noise.allSatisfy { $0.backendCount > 1 }, "transaction pooling: one client, several server connections")
        let directRun = try Self.runPipeline(direct, applyConnections: 1)

        // The plan digest covers the database identity (its name differs), so the plans are
        // compared by what they say: every line and the totals.
        #expect(pooledRun.plan.adjustments == directRun.plan.adjustments)
        #expect(pooledRun.plan.holds == directRun.plan.holds)
        #expect(pooledRun.plan.totals == directRun.plan.totals)
        #expect(!pooledRun.plan.adjustments.isEmpty, "the shop has double credits to correct")
        #expect(try pooled.balances() == direct.balances())
        #expect(try Self.entries(pooled) == Self.entries(direct))
    }

    struct PipelineRun {
        let plan: Plan
    }

    /// init, plan, approve, apply, verify, audit verify, and a second apply that applies nothing.
    static func runPipeline(_ shop: EndToEndShop, applyConnections: Int) throws -> PipelineRun {
        try shop.remedy(["init", "--approvers", shop.approversFile]).requireSuccess()
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let applied = try shop.apply(bundle, connections: applyConnections).requireSuccess()
        #expect(applied.stdout.contains("already applied 0"), "\(applied)")
        try shop.remedy(["verify", bundle, "--jobs", shop.jobs]).requireSuccess()
        try shop.remedy(["audit", "verify"]).requireSuccess()
        let again = try shop.apply(bundle, connections: applyConnections).requireSuccess()
        #expect(again.stdout.contains("applied 0,"), "the second apply applies nothing: \(again)")
        return PipelineRun(plan: try shop.readPlan(bundle))
    }

    /// remedy's book, without what differs by nature between two databases (ids, runs, times, digests).
    static func entries(_ shop: EndToEndShop) throws -> [String] {
        try shop.connection.query("""
            SELECT kind || ' ' || user_id || ' ' || amount::text || ' ' || COALESCE(balance_before::text, '-') || ' ' || COALESCE(balance_after::text, '-')
              FROM remedy.entries ORDER BY user_id, kind, amount
            """).map { try $0.decode(0, as: String.self) }
    }
}

/// Another client of the pooler that changes session settings with plain SET between its
/// transactions, as an application sharing the pooler might: whatever server connection it used
/// next carries its search_path (PgBouncer restores only the parameters it tracks) to whoever gets it.
final class SettingsChurn: @unchecked Sendable {
    private let url: String
    private let lock = NSLock()
    private var running = true
    private var changes = 0
    private var backends: Set<Int> = []
    private var failure: String?
    private let finished = DispatchGroup()

    static let settings = [
        "SET TimeZone = 'America/Caracas'; SET DateStyle = 'German, DMY'; SET search_path = pg_temp, nowhere",
        "SET TimeZone = 'Pacific/Chatham'; SET DateStyle = 'SQL, MDY'; SET search_path = remedy, public",
        "SET TimeZone = 'Asia/Jakarta'; SET DateStyle = 'Postgres, DMY'; SET search_path = ''",
    ]

    init(url: String) {
        self.url = url
        finished.enter()
        Thread.detachNewThread { [self] in
            defer { finished.leave() }
            do {
                let connection = try PostgresConnection.connect(url: url, applicationName: "churn", logger: TestLogger.shared)
                defer { connection.close() }
                var index = 0
                while isRunning {
                    try connection.executeScript(Self.settings[index % Self.settings.count])
                    let backend = try connection.query("SELECT pg_backend_pid(), now()::text")[0].decode(0, as: Int.self)
                    lock.lock(); changes += 1; backends.insert(backend); lock.unlock()
                    index += 1
                    usleep(2_000)
                }
            } catch {
                lock.lock(); failure = "\(error)"; lock.unlock()
            }
        }
    }

    private var isRunning: Bool { lock.lock(); defer { lock.unlock() }; return running }

    /// Stops the client and waits for it (bounded); returns how many times it changed its settings.
    @discardableResult
    func stop() -> Int {
        lock.lock(); running = false; lock.unlock()
        _ = finished.wait(timeout: .now() + 30)
        lock.lock(); defer { lock.unlock() }
        return changes
    }

    var error: String? { lock.lock(); defer { lock.unlock() }; return failure }
    /// The server connections this one client was given: more than one means the pooler switched.
    var backendCount: Int { lock.lock(); defer { lock.unlock() }; return backends.count }
}
