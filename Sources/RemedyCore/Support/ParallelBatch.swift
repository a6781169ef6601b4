import Foundation
import Synchronization

/// The CPU-heavy per-item work of a stream, a bounded batch at a time on every core, results in
/// the batch's order (detect's rows decoded and decided; a plan's lines read in canonical form
/// and hashed). The caller then takes them in order, so totals, refusals and files come out as from
/// a serial pass.
enum ParallelBatch {
    /// At most this many threads: the work is a few milliseconds per batch, and more threads than
    /// cores only add switches.
    static let maxWorkers = 4

    /// Items a thread takes at a time. Threads take the next chunk when done with theirs, so one
    /// costly item (a user whose search runs long) holds up only its own thread's chunk; a fixed
    /// share per thread left the other core idle at the end of a batch.
    static let itemsPerChunk = 8

    /// `transform` of every item, in order. It runs on several threads at once (hence `@Sendable`:
    /// the compiler checks what it captures). Small batches (fewer than `itemsPerWorker` items a
    /// thread) run on fewer threads, a single one on the caller's.
    static func map<Item, Result>(_ items: [Item], itemsPerWorker: Int = 32, _ transform: @Sendable (Item) -> Result) -> [Result] {
        precondition(itemsPerWorker > 0)
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, maxWorkers, items.count / itemsPerWorker))
        guard workers > 1 else { return items.map(transform) }
        var results = [Result?](repeating: nil, count: items.count)
        let next = NextChunk()
        results.withUnsafeMutableBufferPointer { buffer in
            withoutActuallyEscaping(transform) { transform in
                let shared = Shared(items: items, slots: buffer, transform: transform)
                DispatchQueue.concurrentPerform(iterations: workers) { _ in
                    // Bounded: each pass takes a chunk, and the chunks run out.
                    while case let start = next.take(itemsPerChunk), start < shared.items.count {
                        for index in start..<min(start + itemsPerChunk, shared.items.count) {
                            shared.slots[index] = shared.transform(shared.items[index])
                        }
                    }
                }
            }
        }
        return results.map { $0! }
    }
}

/// The first index of the next chunk no thread has taken.
private final class NextChunk: Sendable {
    private let start = Atomic<Int>(0)

    func take(_ count: Int) -> Int {
        start.add(count, ordering: .relaxed).oldValue
    }
}

/// What `map` shares with concurrentPerform's threads: the items are only read, and each slot has
/// one writer (the thread that took its chunk), read only after the threads end.
private struct Shared<Item, Result>: @unchecked Sendable {
    let items: [Item]
    let slots: UnsafeMutableBufferPointer<Result?>
    let transform: @Sendable (Item) -> Result
}
