import Foundation
import Postgres
import TestSupport

/// The shop's own traffic, from threads of their own, each with its own connection: completed
/// top-ups through the balance trigger (some inserted completed, some inserted pending and then
/// completed, as a payment callback does) and completed purchases. Each thread only spends what
/// it topped up on that user before, so traffic never drives a balance below where it started.
/// Bounded: at most `operationsPerThread` each, and `stop()` ends it.
final class LiveTraffic: @unchecked Sendable {
    enum Kind: String { case topUp = "top-up", topUpCallback = "top-up (pending → completed)", purchase }

    struct Operation {
        let kind: Kind
        let userId: String
        /// Signed, in sen: what the operation moved the balance by.
        let sen: Int64
        let startedAt: Date
        let seconds: Double
    }

    private let database: TestDatabase
    private let users: [String]
    private let threads: Int
    private let operationsPerThread: Int
    private let seed: UInt64
    private let lock = NSLock()
    private var stopping = false
    private var done: [Operation] = []
    private var failures: [String] = []
    private let finished = DispatchGroup()

    init(database: TestDatabase, users: [String], threads: Int, operationsPerThread: Int, random: inout SplitMix64) {
        self.database = database
        self.users = users
        self.threads = threads
        self.operationsPerThread = operationsPerThread
        seed = random.next()
    }

    func start() {
        for index in 0..<threads {
            finished.enter()
            Thread.detachNewThread { [self] in
                defer { finished.leave() }
                var random = SplitMix64(seed: seed &+ UInt64(index))
                do {
                    let connection = try database.connect()
                    defer { connection.close() }
                    try run(on: connection, random: &random)
                } catch {
                    lock.lock(); failures.append("traffic thread \(index): \(error)"); lock.unlock()
                }
            }
        }
    }

    /// Asks every thread to stop after its current operation and waits for them (bounded).
    func stop(timeoutSeconds: Double = 60) {
        lock.lock(); stopping = true; lock.unlock()
        _ = finished.wait(timeout: .now() + timeoutSeconds)
    }

    var operations: [Operation] { lock.lock(); defer { lock.unlock() }; return done }
    var errors: [String] { lock.lock(); defer { lock.unlock() }; return failures }

    /// user → Σ of what committed traffic moved the balance by, in sen.
    var movedPerUser: [String: Int64] {
        operations.reduce(into: [:]) { $0[$1.userId, default: 0] += $1.sen }
    }

    /// Exact text of a whole-rupiah amount in sen.
    static func rupiah(_ sen: Int64) -> String { "\(sen / 100).00" }

    private var shouldStop: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    private func run(on connection: PostgresConnection, random: inout SplitMix64) throws {
        var spendable: [String: Int64] = [:]  // what this thread topped up and may spend, per user
        for _ in 0..<operationsPerThread {
            if shouldStop { break }
            usleep(UInt32(random.int(in: 2_000...12_000)))  // a shop's pace, not a benchmark's
            let user = random.element(of: users)
            let wantsPurchase = random.chance(35) && (spendable[user] ?? 0) >= 100_000
            let started = Date()
            let operation: Operation
            if wantsPurchase {
                let sen = Int64(random.int(in: 1...Int(spendable[user]! / 100))) * 100  // whole rupiah
                try connection.execute("""
                    INSERT INTO transactions (user_id, transaction_type, amount, status, product_name, completed_at)
                    VALUES ($1::uuid, 'purchase', $2::numeric, 'completed', 'BM50 - Standard', now())
                    """, [user, LiveTraffic.rupiah(sen)])
                spendable[user]! -= sen
                operation = Operation(kind: .purchase, userId: user, sen: -sen, startedAt: started, seconds: Date().timeIntervalSince(started))
            } else {
                let sen = Int64(random.element(of: [10_000, 20_000, 25_000, 50_000, 100_000])) * 100
                let kind: Kind
                let credited: Date
                if random.chance(50) {
                    kind = .topUp
                    credited = started
                    try connection.execute("""
                        INSERT INTO transactions (user_id, transaction_type, amount, status, completed_at)
                        VALUES ($1::uuid, 'topup', $2::numeric, 'completed', now())
                        """, [user, LiveTraffic.rupiah(sen)])
                } else {
                    kind = .topUpCallback
                    let id = try connection.query("""
                        INSERT INTO transactions (user_id, transaction_type, amount, status) VALUES ($1::uuid, 'topup', $2::numeric, 'pending')
                        RETURNING id::text
                        """, [user, LiveTraffic.rupiah(sen)])[0].decode(0, as: String.self)
                    credited = Date()
                    try connection.execute("UPDATE transactions SET status = 'completed', completed_at = now() WHERE id = $1::uuid", [id])
                }
                spendable[user, default: 0] += sen
                operation = Operation(kind: kind, userId: user, sen: sen, startedAt: credited, seconds: Date().timeIntervalSince(credited))
            }
            lock.lock(); done.append(operation); lock.unlock()
        }
    }
}

/// The `fraction` quantile of sorted seconds, in milliseconds with one decimal.
func milliseconds(_ sorted: [Double], _ fraction: Double) -> String {
    guard !sorted.isEmpty else { return "-" }
    return String(format: "%.1f", sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction))] * 1000)
}
