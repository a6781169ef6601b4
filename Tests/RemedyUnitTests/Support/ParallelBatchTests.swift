import Foundation
import Testing
@testable import RemedyCore

@Suite("ParallelBatch: a batch's work on every core, results in the batch's order")
struct ParallelBatchTests {
    @Test(arguments: [0, 1, 31, 64, 65, 512, 1_000])
    func resultsAreInTheItemsOrder(count: Int) {
        let items = (0..<count).map { "user-\($0)" }
        // Uneven work per item, so threads finish out of order.
        @Sendable func work(_ item: String) -> String {
            var hash = 0
            for _ in 0..<(item.hashValue & 7) * 200 { hash = hash &* 31 &+ item.count }
            return "\(item):\(hash)"
        }
        #expect(ParallelBatch.map(items, itemsPerWorker: 8, work) == items.map(work))
    }

    @Test func aLargeBatchRunsOnMoreThanOneThreadWhenTheMachineHasCores() {
        let threads = Locked(Set<String>())
        let secondThread = DispatchSemaphore(value: 0)
        _ = ParallelBatch.map(Array(0..<4_096), itemsPerWorker: 32) { item -> Int in
            let count = threads.withLock { seen -> Int in
                seen.insert("\(pthread_self())")
                return seen.count
            }
            if count == 2 { secondThread.signal() }
            // The thread with the first item waits (up to 30 s) for another to take work: on a
            // busy machine one thread could otherwise take every chunk before a second starts.
            if item == 0, ProcessInfo.processInfo.activeProcessorCount > 1 { _ = secondThread.wait(timeout: .now() + 30) }
            return item
        }
        let used = threads.withLock { $0.count }
        if ProcessInfo.processInfo.activeProcessorCount > 1 {
            #expect(used > 1)
        } else {
            #expect(used == 1)
        }
    }

    @Test func aSmallBatchStaysOnTheCallersThread() {
        let caller = "\(pthread_self())"
        let seen = ParallelBatch.map(Array(0..<31), itemsPerWorker: 32) { _ in "\(pthread_self())" }
        #expect(Set(seen) == [caller])
    }
}

/// A value behind a lock, for the test's bookkeeping across threads.
private final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
