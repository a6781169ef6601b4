import Foundation

/// Apply's batches handed to its connections in the plan's order, and their outcomes handed back
/// in that order, whatever order they committed in. Bounded: a batch is claimed at most `window`
/// batches ahead of the oldest outcome not yet taken, so a slow batch (live traffic holding a row)
/// holds back at most a window of outcomes in memory. The first failure stops every claim; so
/// does `close` (a stop asked for), after which the batches already claimed are still delivered
/// and taken, and nothing after them.
///
/// A worker may wait for room (`claim`) only while it holds no batch it has not delivered: the
/// outcome the window waits for may be its own. Holding one, it claims without waiting
/// (`claimIfRoom`).
final class BatchQueue: @unchecked Sendable {
    /// Batches a connection may run ahead of the oldest outcome not yet recorded.
    static let windowPerConnection = 16

    private let condition = NSCondition()
    private let count: Int
    private let window: Int
    private var claimed = 0
    private var taken = 0
    private var outcomes: [Int: ApplyReport.BatchOutcome] = [:]
    private var failure: (any Error)?
    /// No batch is claimed after `close`.
    private var closed = false
    private var workersEnded = 0

    init(count: Int, window: Int) {
        precondition(count >= 0 && window >= 1)
        self.count = count
        self.window = window
    }

    /// The next batch's index, in order, once the window has room; nil when there is none left or
    /// a batch failed. Only for a caller holding no undelivered batch.
    func claim() -> Int? {
        condition.lock(); defer { condition.unlock() }
        while failure == nil, !closed, claimed < count, claimed >= taken + window { condition.wait() }
        return claimLocked()
    }

    /// The next batch's index if the window has room now; nil otherwise (full, none left, or a
    /// batch failed). Never waits.
    func claimIfRoom() -> Int? {
        condition.lock(); defer { condition.unlock() }
        return claimLocked()
    }

    private func claimLocked() -> Int? {
        guard failure == nil, !closed, claimed < count, claimed < taken + window else { return nil }
        defer { claimed += 1 }
        return claimed
    }

    /// A claimed batch's outcome, once its transaction has ended (committed, or failed: then no
    /// batch is claimed after).
    func deliver(_ index: Int, _ result: Result<ApplyReport.BatchOutcome, any Error>) {
        condition.lock(); defer { condition.unlock() }
        precondition(index < claimed && index >= taken && outcomes[index] == nil, "each claimed batch is delivered once")
        switch result {
        case .success(let outcome): outcomes[index] = outcome
        case .failure(let error): stopLocked(error)
        }
        condition.broadcast()
    }

    /// Stops every claim (the first error is the one kept).
    func stop(_ error: any Error) {
        condition.lock(); defer { condition.unlock() }
        stopLocked(error)
        condition.broadcast()
    }

    private func stopLocked(_ error: any Error) {
        if failure == nil { failure = error }
    }

    /// Claims no batch after those already claimed: they are still delivered and taken.
    func close() {
        condition.lock(); defer { condition.unlock() }
        closed = true
        condition.broadcast()
    }

    /// Batch `index`'s outcome, in order (waits for it); nil once a batch failed, or once the
    /// queue is closed and `index` was never claimed.
    func take(_ index: Int) -> ApplyReport.BatchOutcome? {
        condition.lock(); defer { condition.unlock() }
        precondition(index == taken, "outcomes are taken in order")
        while outcomes[index] == nil, failure == nil, !(closed && index >= claimed) { condition.wait() }
        guard failure == nil, let outcome = outcomes.removeValue(forKey: index) else { return nil }
        taken += 1
        condition.broadcast()
        return outcome
    }

    func workerEnded() {
        condition.lock(); defer { condition.unlock() }
        workersEnded += 1
        condition.broadcast()
    }

    /// Waits until `workers` have ended; the first failure, if any.
    func waitForWorkers(_ workers: Int) -> (any Error)? {
        condition.lock(); defer { condition.unlock() }
        while workersEnded < workers { condition.wait() }
        return failure
    }
}
