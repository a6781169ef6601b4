import Foundation
import Logging
import Postgres
import ShopSimulator

/// Live traffic: on its own connection and thread, a completed top-up inserted through the shop's
/// balance trigger (which updates the user's row, the row apply locks), then a short sleep, in a
/// loop. Each insert's latency is kept with the instant it started, so a window (apply's run) can
/// be cut out afterwards.
final class LiveTopups: @unchecked Sendable {
    struct Sample {
        let startedAt: ContinuousClock.Instant
        let milliseconds: Double
        /// At a user of the batch apply was working on (see `aimedUser`), not one picked at random.
        let aimed: Bool
    }

    static let insert = """
        INSERT INTO public.transactions (user_id, transaction_type, amount, status, completed_at, created_at)
        VALUES ($1::uuid, 'topup', 10000.00, 'completed', now(), now())
        """

    private let url: String
    private let userIds: [String]
    /// Every other insert goes to the user this returns, when it returns one.
    private let aimedUser: @Sendable () -> String?
    private let pauseMicroseconds: UInt32
    private let logger: Logger
    private let lock = NSLock()
    private var samples: [Sample] = []
    private var failure: String?
    private var stopRequested = false
    private let finished = DispatchSemaphore(value: 0)

    /// `userIds`: whom to top up (picked with a fixed seed, so runs are comparable); every other
    /// insert goes to `aimedUser()` instead, when it gives one.
    init(url: String, userIds: [String], pauseMilliseconds: Int, logger: Logger, aimedUser: @escaping @Sendable () -> String? = { nil }) {
        self.url = url
        self.userIds = userIds
        self.aimedUser = aimedUser
        self.pauseMicroseconds = UInt32(max(0, pauseMilliseconds) * 1_000)
        self.logger = logger
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "live-topups"
        thread.start()
    }

    /// Stops the loop, waits for the thread, and returns every sample (or the error that ended it).
    func stop() throws -> [Sample] {
        lock.withLock { stopRequested = true }
        finished.wait()
        return try lock.withLock {
            if let failure { throw BenchmarkError("live top-ups failed: \(failure)") }
            return samples
        }
    }

    private func run() {
        defer { finished.signal() }
        do {
            let connection = try PostgresConnection.connect(url: url, applicationName: "remedy-benchmark-topups", logger: logger)
            defer { connection.close() }
            var random = SimulationRandom(seed: 0x746f_7075_7073)
            let clock = ContinuousClock()
            var iteration = 0
            while !lock.withLock({ stopRequested }) {
                iteration += 1
                let aimed = iteration % 2 == 0 ? aimedUser() : nil
                let user = aimed ?? userIds[Int(random.next() % UInt64(userIds.count))]
                let began = clock.now
                _ = try connection.execute(Self.insert, [user])
                let sample = Sample(startedAt: began, milliseconds: (clock.now - began).milliseconds, aimed: aimed != nil)
                lock.withLock { samples.append(sample) }
                if pauseMicroseconds > 0 { usleep(pauseMicroseconds) }
            }
        } catch {
            lock.withLock { failure = "\(error)" }
        }
    }
}

/// Which lines apply is working on, from its progress events on stderr: apply runs with
/// `--log-format json`, which writes one object per batch, after the batch, with `done` (lines
/// handled so far): the next batch starts at line `done`. (The plain progress line is written at
/// most every 5 s off a terminal: aimed at by it, a top-up went to lines long applied.) Read from
/// the file as it grows.
final class ApplyProgress: @unchecked Sendable {
    private let path: String
    private let lock = NSLock()
    private var offset: UInt64 = 0
    private var linesDone = 0
    private var lastRead = ContinuousClock.now - .seconds(1)
    static let doneField = Array(#""done":""#.utf8)

    init(stderrPath: String) {
        path = stderrPath
    }

    /// Lines applied so far, as last reported (re-read at most every 5 ms).
    var done: Int {
        lock.withLock {
            guard ContinuousClock.now - lastRead > .milliseconds(5) else { return linesDone }
            lastRead = ContinuousClock.now
            guard let handle = FileHandle(forReadingAtPath: path) else { return linesDone }
            defer { try? handle.close() }
            try? handle.seek(toOffset: offset)
            let data = [UInt8]((try? handle.readToEnd()) ?? Data())
            guard let lastNewline = data.lastIndex(of: UInt8(ascii: "\n")) else { return linesDone }
            offset += UInt64(lastNewline + 1)
            for line in data[..<lastNewline].split(separator: UInt8(ascii: "\n")) {
                if let count = Self.done(in: Array(line)) { linesDone = count }
            }
            return linesDone
        }
    }

    /// The `done` field of one JSON log line of apply's, if it has one.
    static func done(in line: [UInt8]) -> Int? {
        guard line.count >= doneField.count,
              let start = (0...(line.count - doneField.count)).first(where: { line[$0..<($0 + doneField.count)].elementsEqual(doneField) }) else { return nil }
        let digits = line[(start + doneField.count)...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        return Int(String(decoding: digits, as: UTF8.self))
    }
}

/// Percentiles by the nearest-rank method over a sorted copy.
struct LatencySummary {
    let count: Int
    let p50: Double
    let p99: Double
    let max: Double

    init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func rank(_ p: Double) -> Double { sorted[Swift.max(0, Int((p * Double(sorted.count)).rounded(.up)) - 1)] }
        count = sorted.count
        p50 = rank(0.50)
        p99 = rank(0.99)
        max = sorted[sorted.count - 1]
    }
}
