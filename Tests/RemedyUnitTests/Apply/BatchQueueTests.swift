import Foundation
import Rupiah
import Testing
@testable import RemedyCore

/// Apply's batches side by side: outcomes come back in the plan's order whatever order they
/// committed in, claims stay within the window, and the first failure stops every claim.
@Suite("BatchQueue: apply's batches claimed in order, outcomes taken in order")
struct BatchQueueTests {
    private static func outcome(_ index: Int) -> ApplyReport.BatchOutcome {
        var outcome = ApplyReport.BatchOutcome()
        outcome.alreadyApplied = ["user-\(index)"]
        outcome.takenBack = Money(minorUnits: Int64(index))
        return outcome
    }

    @Test(arguments: [1, 2, 3, 8])
    func outcomesDeliveredOutOfOrderAreTakenInThePlansOrder(workers: Int) throws {
        let count = 200
        let queue = BatchQueue(count: count, window: 4 * workers)
        for worker in 0..<workers {
            Thread {
                defer { queue.workerEnded() }
                var random = SystemRandomNumberGenerator()
                while let index = queue.claim() {
                    // Uneven work, so batches finish out of order across workers.
                    usleep(UInt32.random(in: 0...(worker == 0 ? 2_000 : 300), using: &random))
                    queue.deliver(index, .success(Self.outcome(index)))
                }
            }.start()
        }
        var taken: [String] = []
        var total = Money.zero
        for index in 0..<count {
            let outcome = try #require(queue.take(index))
            taken += outcome.alreadyApplied
            total = try total.adding(outcome.takenBack)
        }
        #expect(queue.waitForWorkers(workers) == nil)
        #expect(taken == (0..<count).map { "user-\($0)" })
        #expect(total == Money(minorUnits: Int64(count * (count - 1) / 2)))
    }

    @Test func aClaimWaitsWhileTheWindowIsFullOfOutcomesNotYetTaken() throws {
        let queue = BatchQueue(count: 10, window: 3)
        #expect([queue.claim(), queue.claim(), queue.claim()] == [0, 1, 2])
        let fourth = ClaimInBackground(queue)
        usleep(100_000)
        #expect(fourth.result == nil, "a fourth claim waits: three batches are out and none taken")
        queue.deliver(0, .success(Self.outcome(0)))
        usleep(100_000)
        #expect(fourth.result == nil, "delivered is not taken: the window still holds three")
        _ = try #require(queue.take(0))
        #expect(fourth.wait() == 3, "taking the oldest outcome frees a place")
    }

    /// A stop asked for mid-run: a claim waiting for room ends with nothing, no batch is claimed
    /// after, and every batch already claimed is still delivered and taken, in order; the next
    /// take says the run is over instead of waiting for a batch nobody will run.
    @Test func closingStopsClaimsButTheClaimedBatchesAreStillTaken() throws {
        let queue = BatchQueue(count: 10, window: 3)
        #expect([queue.claim(), queue.claim(), queue.claim()] == [0, 1, 2])
        let waiting = ClaimInBackground(queue)
        usleep(50_000)
        #expect(waiting.result == nil, "the window is full: the fourth claim waits")
        queue.close()
        #expect(waiting.wait() == nil, "closing ends a waiting claim with nothing")
        #expect(queue.claimIfRoom() == nil && queue.claim() == nil)
        for index in [2, 0, 1] { queue.deliver(index, .success(Self.outcome(index))) }
        #expect(try (0..<3).map { try #require(queue.take($0)).alreadyApplied } == [["user-0"], ["user-1"], ["user-2"]])
        #expect(queue.take(3) == nil, "batch 3 was never claimed: nothing to wait for")
    }

    /// BatchWorker's protocol: holding a batch it has not delivered, a worker claims only if there
    /// is room; it waits for room only once it holds none. A worker slow on the oldest batch while
    /// another fills the window must not leave both waiting (with a waiting claim while holding,
    /// this test hangs and fails on its timeout).
    @Test func aWorkerSlowOnTheOldestBatchWhileTheWindowFillsDoesNotDeadlock() {
        let count = 40
        let queue = BatchQueue(count: count, window: 2)
        for worker in 0..<2 {
            Thread {
                defer { queue.workerEnded() }
                var next = queue.claim()
                while let index = next {
                    next = queue.claimIfRoom()
                    usleep(worker == 0 && index == 0 ? 200_000 : 1_000)
                    queue.deliver(index, .success(Self.outcome(index)))
                    if next == nil { next = queue.claim() }
                }
            }.start()
        }
        let finished = DispatchSemaphore(value: 0)
        let taken = TakenInBackground()
        Thread {
            for index in 0..<count {
                guard let outcome = queue.take(index) else { break }
                taken.append(outcome.alreadyApplied)
            }
            _ = queue.waitForWorkers(2)
            finished.signal()
        }.start()
        #expect(finished.wait(timeout: .now() + 30) == .success, "the workers and the recorder waited for each other")
        #expect(taken.all == (0..<count).map { "user-\($0)" })
    }

    @Test func aClaimIfRoomNeverWaits() {
        let queue = BatchQueue(count: 10, window: 2)
        #expect([queue.claimIfRoom(), queue.claimIfRoom(), queue.claimIfRoom()] == [0, 1, nil], "the window holds two")
        queue.deliver(0, .success(Self.outcome(0)))
        #expect(queue.take(0) != nil)
        #expect(queue.claimIfRoom() == 2)
    }

    @Test func theFirstFailureStopsEveryClaimAndIsTheOneKept() {
        struct Failure: Error, Equatable { let index: Int }
        let queue = BatchQueue(count: 10, window: 10)
        #expect([queue.claim(), queue.claim(), queue.claim()] == [0, 1, 2])
        queue.deliver(1, .failure(Failure(index: 1)))
        queue.deliver(2, .failure(Failure(index: 2)))
        queue.deliver(0, .success(Self.outcome(0)))
        #expect(queue.claim() == nil, "nothing is claimed after a failure")
        #expect(queue.take(0) == nil, "nothing more is recorded after a failure")
        queue.workerEnded()
        #expect((queue.waitForWorkers(1) as? Failure) == Failure(index: 1))
    }
}

/// Outcomes recorded on another thread.
private final class TakenInBackground: @unchecked Sendable {
    private let lock = NSLock()
    private var taken: [String] = []
    func append(_ users: [String]) { lock.withLock { taken += users } }
    var all: [String] { lock.withLock { taken } }
}

/// A claim made on another thread, to see whether it waits.
private final class ClaimInBackground: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var claimed: Int??

    init(_ queue: BatchQueue) {
        Thread { [self] in
            let index = queue.claim()
            lock.withLock { claimed = .some(index) }
            done.signal()
        }.start()
    }

    /// nil while the claim still waits.
    var result: Int?? { lock.withLock { claimed } }

    func wait() -> Int? {
        done.wait()
        return lock.withLock { claimed! }
    }
}
