import Foundation
import Postgres

/// What every connection of one apply run shares: immutable once the run has started.
/// `@unchecked Sendable`: the Applier's own connection is never touched from a worker; each
/// worker brings its own.
final class BatchWork: @unchecked Sendable {
    let applier: Applier
    let statements: Applier.Statements
    let runId: String
    let approvers: [String]
    let actor: Approver
    /// The actor's key: it signs each receivable a batch opens (BookSignature).
    let operatorKey: SigningKey
    let batchSize: Int
    let lineCount: Int
    let prepare: @Sendable (Range<Int>) throws -> PreparedBatch

    init(applier: Applier, statements: Applier.Statements, runId: String, approvers: [String], actor: Approver, operatorKey: SigningKey, batchSize: Int,
         lineCount: Int, prepare: @escaping @Sendable (Range<Int>) throws -> PreparedBatch) {
        self.applier = applier
        self.statements = statements
        self.runId = runId
        self.approvers = approvers
        self.actor = actor
        self.operatorKey = operatorKey
        self.batchSize = batchSize
        self.lineCount = lineCount
        self.prepare = prepare
    }

    /// The plan lines of batch `index`.
    func range(_ index: Int) -> Range<Int> {
        let start = index * batchSize
        return start..<min(start + batchSize, lineCount)
    }
}

/// One connection of an apply run, on its own thread: claims batches in order, prepares the next
/// while the current one is in the database, applies each in its own transaction and hands its
/// outcome back. Stops at the first failure, its own or another connection's.
final class BatchWorker: @unchecked Sendable {
    private let work: BatchWork
    private let connection: PostgresConnection
    private let lease: Lease
    private let queue: BatchQueue

    init(work: BatchWork, connection: PostgresConnection, lease: Lease, queue: BatchQueue) {
        self.work = work
        self.connection = connection
        self.lease = lease
        self.queue = queue
    }

    func run() {
        defer { queue.workerEnded() }
        let prefetch = BatchPrefetch(work.prepare)
        var next = queue.claim()
        if let next { prefetch.start(work.range(next)) }
        while let index = next {
            let result = Result { () throws -> ApplyReport.BatchOutcome in
                let batch = try prefetch.take(work.range(index))
                // The next batch is prepared while this one is in the database, if the window has
                // room: waiting for it here, holding this batch, could wait for this very outcome.
                next = queue.claimIfRoom()
                if let next { prefetch.start(work.range(next)) }
                return try work.applier.applyBatchRetrying(batch, statements: work.statements, on: connection, lease: lease,
                                                           runId: work.runId, approvers: work.approvers, actor: work.actor, operatorKey: work.operatorKey)
            }
            queue.deliver(index, result)
            if case .failure = result { return }
            work.applier.faults.checkpoint("between batches")
            if next == nil {
                next = queue.claim()
                if let next { prefetch.start(work.range(next)) }
            }
        }
    }
}
