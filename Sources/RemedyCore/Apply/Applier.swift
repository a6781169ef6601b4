import Foundation
import Logging
import Postgres
import Rupiah

/// Apply: the approved plan's corrections, exactly once, in short batches.
///
/// Per batch, one transaction: lock the users' rows, recompute each excess under the lock, skip
/// what changed (stale), book the two entries under the line's idempotency key, move the balance
/// by exactly the delta and check it moved by exactly that, write the audit rows, commit. A crash
/// anywhere leaves each batch wholly done or not done; a re-run skips what the book already holds.
/// Batches may run side by side, each on its own connection (`apply(connections:)`).
public struct Applier {
    public let spec: JobSpec
    public let bundle: PlanBundle
    public let connection: PostgresConnection
    public let faults: FaultInjection
    /// Progress and events, with metadata (step, plan digest, batch, counts).
    public let logger: Logger
    /// Attempts per batch when live traffic holds a row past lock_timeout.
    static let maxBatchAttempts = 4
    /// Batches side by side: each holds a connection (a pooler's pool is small) and a core of the
    /// server's while it runs.
    public static let connectionRange = 1...8
    /// `remedy apply`'s default: at 1,000,000 users on two cores, 1.6× faster than one connection
    /// with the batches' p99 unchanged; three were no faster and doubled the p99 (BENCHMARKS.md).
    public static let defaultConnections = 2
    /// The plan's adjustments: the bundle's own, or read a batch at a time from a streamed bundle.
    private let lines: Lines

    public init(spec: JobSpec, bundle: PlanBundle, connection: PostgresConnection,
                faults: FaultInjection = FaultInjection(), logger: Logger = .silent) {
        self.init(spec: spec, bundle: bundle, lines: .held(bundle.plan.adjustments), connection: connection, faults: faults, logger: logger)
    }

    /// Applies a bundle read with `PlanBundle.readStreaming`: its adjustments are decoded a batch at
    /// a time, so memory does not grow with the plan. (A plan under a standing policy is read
    /// whole: the policy is checked against every line before anything is applied.)
    public init(spec: JobSpec, streamed: StreamedPlanBundle, connection: PostgresConnection,
                faults: FaultInjection = FaultInjection(), logger: Logger = .silent) throws {
        guard streamed.bundle.plan.standingPolicy != nil else {
            self.init(spec: spec, bundle: streamed.bundle, lines: .streamed(streamed.adjustments), connection: connection, faults: faults, logger: logger)
            return
        }
        var plan = streamed.bundle.plan
        plan.adjustments = try streamed.adjustments.all()
        self.init(spec: spec, bundle: PlanBundle(path: streamed.bundle.path, plan: plan, digest: streamed.bundle.digest), connection: connection,
                  faults: faults, logger: logger)
    }

    private init(spec: JobSpec, bundle: PlanBundle, lines: Lines, connection: PostgresConnection,
                 faults: FaultInjection, logger: Logger) {
        self.spec = spec
        self.bundle = bundle
        self.lines = lines
        self.connection = connection
        self.faults = faults
        self.logger = logger
    }

    private enum Lines: Sendable {
        case held([AdjustmentLine])
        case streamed(PlanAdjustmentStream)

        var count: Int {
            switch self {
            case .held(let lines): lines.count
            case .streamed(let stream): stream.count
            }
        }

        func batch(_ range: Range<Int>) throws -> [AdjustmentLine] {
            switch self {
            case .held(let lines): Array(lines[range])
            case .streamed(let stream): try stream.lines(range)
            }
        }

        /// The lines with their evidence's canonical JSON: as plan.json holds it when streamed,
        /// encoded (the same bytes) when held.
        func batchWithEvidence(_ range: Range<Int>) throws -> [(line: AdjustmentLine, evidence: [UInt8])] {
            switch self {
            case .held(let lines): lines[range].map { ($0, CanonicalJSONWriter.encodeBytes($0.attribution)) }
            case .streamed(let stream): try stream.linesWithEvidence(range)
            }
        }
    }

    /// `allowUnindexedRecheck`: go on where a batch's users cannot be found through an index
    /// (ApplyPreflight refuses otherwise). `connections`: how many batches run side by side, each
    /// in its own transaction on its own connection: `connection` and `connections - 1` more from
    /// `connect`, each confirmed to reach the same database. Batches lock disjoint users in id
    /// order and append to the audit log one at a time, so what they write is what one connection
    /// would write; only the order they commit in differs.
    /// `stop`: heeded from the start of the check to the end of the run (StopRequest).
    public func apply(operatorKey: SigningKey, policy: StandingPolicy? = nil, allowUnindexedRecheck: Bool = false,
                      connections: Int = 1, connect: (() throws -> PostgresConnection)? = nil, stop: StopRequest? = nil) throws -> ApplyReport {
        let body = { try self.runApply(operatorKey: operatorKey, policy: policy, allowUnindexedRecheck: allowUnindexedRecheck,
                                       connections: connections, connect: connect, stop: stop) }
        guard let stop else { return try body() }
        return try stop.heed(body)
    }

    private func runApply(operatorKey: SigningKey, policy: StandingPolicy?, allowUnindexedRecheck: Bool,
                          connections: Int, connect: (() throws -> PostgresConnection)?, stop: StopRequest?) throws -> ApplyReport {
        guard Applier.connectionRange.contains(connections) else {
            throw RemedyError(.badInput, "apply runs on \(Applier.connectionRange.lowerBound) to \(Applier.connectionRange.upperBound) connections, not \(connections)")
        }
        precondition(connections == 1 || connect != nil, "more connections need a way to open them")
        let cleared = try ApplyPreflight(spec: spec, bundle: bundle, connection: connection)
            .check(operatorKey: operatorKey, policy: policy, allowUnindexedRecheck: allowUnindexedRecheck,
                   adjustments: { [lines] in try lines.batch($0.clamped(to: 0..<lines.count)) })
        for reason in cleared.ignored {
            logger.warning("apply: an approval does not count and was set aside: \(reason)", metadata: ["step": "apply", "plan_digest": "\(bundle.digest)"])
        }
        // Stopped while the plan was checked: nothing is written yet, and nothing will be.
        if stop?.isRequested == true {
            throw RemedyError(.interrupted, "apply was interrupted before it wrote anything: no balance moved; run it again when ready")
        }
        let workers = try [connection] + (1..<connections).map { number in try connectAnother(number, connect!) }
        defer { for extra in workers.dropFirst() { extra.close() } }
        let lease = try Lease.acquire(job: spec.name, seconds: spec.apply.leaseSeconds, connection: connection)
        defer { lease.release() }
        if let policy, bundle.plan.standingPolicy != nil {
            try policy.requireWithinRollingDay(bundle.plan.adjustments, planDigest: bundle.digest, job: spec.name, connection: connection)
        }
        let catalog = try ShopCatalog.inspect(spec, on: connection)
        let statements = try Statements(spec: spec, template: try SQLTemplate.bindings(for: spec, parameters: JobParameters(values: [:]), userIdType: catalog.userIdType, zonelessTimes: catalog.zonelessTimes))

        let runId = UUID().uuidString.lowercased()
        // The report's lines go to disk as batches are recorded (made before the run begins, so a
        // bundle apply cannot write into is refused with nothing done); removed however it ends.
        let spool = try RunReportSpool(directory: "\(bundle.path)/\(BundleRuns.directory)", runId: runId)
        defer { spool.discard() }
        var report = ApplyReport(runId: runId, planDigest: bundle.digest, job: spec.name, operatorName: cleared.operator_.name,
                                 approvers: cleared.approvers.map { "\($0.name) (\($0.role))" })
        report.startedAt = try connection.query(ApplySQL.now)[0].decode(0, as: String.self)
        struct Started: Encodable { let runId: String; let lines: Int; let approvers: [String]; let setAside: [String]; let host: String; let pid: Int32; let connections: Int }
        try connection.transaction {
            try lease.hold()
            try connection.execute(ApplySQL.markInterruptedRuns, [spec.name])
            try connection.execute(ApplySQL.insertRun, [runId, bundle.digest, spec.name, cleared.operator_.publicKey.base64,
                                                        cleared.operator_.name, ProcessInfo.processInfo.hostName, Int(getpid())])
            report.auditHead = try AuditLog(connection: connection).append([
                try AuditEvent(action: "apply.started", actor: cleared.operator_.name, planDigest: bundle.digest,
                               details: Started(runId: runId, lines: lines.count, approvers: report.approvers, setAside: cleared.ignored,
                                                host: ProcessInfo.processInfo.hostName, pid: getpid(), connections: workers.count)),
            ])
        }
        faults.checkpoint("run started")

        let batchSize = spec.apply.batchSize
        let batchCount = (lines.count + batchSize - 1) / batchSize
        let queue = BatchQueue(count: batchCount, window: BatchQueue.windowPerConnection * workers.count)
        let (planLines, kind, reverts, job) = (lines, bundle.plan.kind, bundle.plan.reverts, spec.name)
        let shared = BatchWork(applier: self, statements: statements, runId: runId, approvers: report.approvers, actor: cleared.operator_,
                               operatorKey: operatorKey, batchSize: batchSize, lineCount: lines.count) { range in
            try PreparedBatch(try planLines.batchWithEvidence(range), kind: kind, reverts: reverts, runId: runId, job: job)
        }
        for (number, workerConnection) in workers.enumerated() {
            let worker = BatchWorker(work: shared, connection: workerConnection, lease: lease.on(workerConnection), queue: queue)
            let thread = Thread { worker.run() }
            thread.name = "remedy.apply.\(number)"
            thread.start()
        }
        // A stop asked for closes the queue at once: the batches claimed still come, then none.
        stop?.whenRequested { queue.close() }
        // The batches' outcomes, recorded in the plan's order whatever order they committed in.
        var reached = 0
        for index in 0..<batchCount {
            guard let outcome = queue.take(index) else { break }
            do { try report.record(outcome, into: spool) } catch { queue.stop(error); break }
            let done = min((index + 1) * batchSize, lines.count)
            reached = done
            let counts = report.counts
            logger.notice("apply: \(done)/\(lines.count) lines (\(counts.applied) applied, \(counts.alreadyApplied) already applied, \(counts.skipped) skipped)",
                          metadata: ["step": "apply", "job": "\(spec.name)", "plan_digest": "\(bundle.digest)", "done": "\(done)", "total": "\(lines.count)",
                                     "applied": "\(counts.applied)", "already_applied": "\(counts.alreadyApplied)", "skipped": "\(counts.skipped)"])
        }
        // Every worker has ended before the lease is released or a connection closed.
        if let failure = queue.waitForWorkers(workers.count) { throw failure }
        report.linesNotReached = lines.count - reached
        assert(report.linesNotReached == 0 || stop?.isRequested == true, "only a stop leaves lines unread")
        if report.linesNotReached > 0 {
            logger.notice("apply: stopped as asked after \(reached) of \(lines.count) lines; \(report.linesNotReached) not reached",
                          metadata: ["step": "apply", "job": "\(spec.name)", "plan_digest": "\(bundle.digest)", "done": "\(reached)", "total": "\(lines.count)"])
        }

        /// `notReached` only in a run stopped early (left out, not null, otherwise).
        struct Finished: Encodable { let runId: String; let applied: Int; let alreadyApplied: Int; let skipped: Int; let notReached: Int?; let takenBack: Money; let receivablesOpened: Money }
        report.finishedAt = try connection.query(ApplySQL.now)[0].decode(0, as: String.self)
        let finalSeq: Int64 = try connection.transaction {
            try lease.hold()
            try connection.execute(ApplySQL.finishRun, [runId, report.linesNotReached > 0 ? "interrupted" : report.isComplete ? "complete" : "incomplete"])
            report.auditHead = try AuditLog(connection: connection).append([
                try AuditEvent(action: "apply.finished", actor: cleared.operator_.name, planDigest: bundle.digest,
                               details: Finished(runId: runId, applied: report.counts.applied, alreadyApplied: report.counts.alreadyApplied,
                                                 skipped: report.counts.skipped, notReached: report.linesNotReached > 0 ? report.linesNotReached : nil,
                                                 takenBack: report.takenBack, receivablesOpened: report.receivablesOpened)),
            ])
            return try AuditLog(connection: connection).currentHead().seq
        }
        // The run's final head, signed by its operator: kept outside the database (the run report,
        // the export), it shows any later deletion or rewrite of the chain (`audit verify --head`).
        report.signedAuditHead = try SignedAuditHead.sign(hash: report.auditHead, seq: finalSeq, database: bundle.plan.database,
                                                          signedAt: report.finishedAt ?? "", with: operatorKey)
        writeReport(&report, from: spool)
        return report
    }

    /// One batch, retried while live traffic holds its rows past lock_timeout, then line by line.
    func applyBatchRetrying(_ batch: PreparedBatch, statements: Statements, on connection: PostgresConnection, lease: Lease,
                            runId: String, approvers: [String], actor: Approver, operatorKey: SigningKey) throws -> ApplyReport.BatchOutcome {
        for attempt in 1...Applier.maxBatchAttempts {
            // Each attempt is a transaction of its own that holds the lease (Lease.batchHoldStatement)
            // and renews it when due: retries and the line-by-line fallback below can take far longer
            // than one lease.
            do {
                // A fresh outcome per attempt, recorded once the batch has committed (a copy of the
                // whole report per attempt made apply quadratic).
                var outcome = ApplyReport.BatchOutcome()
                try applyBatch(batch, statements: statements, on: connection, lease: lease, runId: runId, approvers: approvers, outcome: &outcome,
                               actor: actor, operatorKey: operatorKey)
                return outcome
            } catch let error as PostgresError where error.sqlState == "55P03" || error.sqlState == "57014" || error.sqlState == "40P01" {
                // Live traffic won the row lock: back off and try the whole batch again.
                logger.warning("apply: batch contended (\(error.sqlState ?? "")), attempt \(attempt) of \(Applier.maxBatchAttempts)",
                               metadata: ["step": "apply", "plan_digest": "\(bundle.digest)", "sqlstate": "\(error.sqlState ?? "")", "attempt": "\(attempt)"])
                Thread.sleep(forTimeInterval: 0.05 * Double(1 << attempt))
            }
        }
        var outcome = ApplyReport.BatchOutcome()
        guard batch.lines.count == 1, let line = batch.lines.first?.line else {
            // One row held by live traffic must not hold back the rest of its batch: its lines one
            // by one, so that only the held ones are reported contended.
            logger.warning("apply: batch still contended after \(Applier.maxBatchAttempts) attempts; applying its \(batch.lines.count) lines one by one",
                           metadata: ["step": "apply", "plan_digest": "\(bundle.digest)", "lines": "\(batch.lines.count)"])
            for index in batch.lines.indices {
                try outcome.absorb(try applyBatchRetrying(try batch.single(index), statements: statements, on: connection, lease: lease,
                                                          runId: runId, approvers: approvers, actor: actor, operatorKey: operatorKey))
            }
            return outcome
        }
        // Live traffic kept this row: report and audit the skip (nothing of the line was written).
        outcome.skipped.append(.init(userId: line.userId, label: line.label, reason: .contended, plannedExcess: line.excess,
                                     currentExcess: nil, currentBalance: nil))
        let event = AuditEvent(action: "correction.skipped", actor: actor.name, planDigest: bundle.digest, userId: line.userId,
                               details: SkipDetails(reason: .contended, plannedExcess: line.excess, currentExcess: nil,
                                                    currentBalance: nil, idempotencyKey: line.idempotencyKey))
        outcome.auditHead = try connection.transaction {
            try lease.hold()
            return try AuditLog(connection: connection).append([event])
        }
        return outcome
    }

    private func applyBatch(_ prepared: PreparedBatch, statements: Statements, on connection: PostgresConnection, lease: Lease,
                            runId: String, approvers: [String], outcome: inout ApplyReport.BatchOutcome, actor: Approver,
                            operatorKey: SigningKey) throws {
        let batch = prepared.lines.map(\.line)
        let userIds = PostgresArray(batch.map(\.userId))
        // Bound before the transaction: the row locks are held only for the database's work.
        let lock = statements.lock.binding(["user_ids": userIds])
        let recheck = statements.recheck.binding(["user_ids": userIds])
        let booked = bookedKeyQueries(batch)
        try connection.transaction {
            // One round trip for everything read before deciding: the batch's timeouts, its lease
            // (held until commit: nobody takes the job over mid-batch), the row locks, then what is
            // booked and the books. A pipeline runs its statements one after another, each with its
            // own snapshot, so the booked keys and the recheck are read after the locks are held.
            var reads = PostgresPipeline()
            reads.add(PostgresStatement(ApplySQL.setLocalTimeouts, [spec.apply.lockTimeoutMilliseconds, spec.apply.statementTimeoutMilliseconds]))
            let leaseHeld = reads.add(lease.batchHoldStatement)
            reads.add(PostgresStatement(lock.sql, lock.parameters))
            let bookedKeysRead = reads.add(booked.statements)
            let books = reads.add(PostgresStatement(recheck.sql, recheck.parameters))
            let read = try connection.pipeline(reads)
            try lease.requireHeld(read[leaseHeld])
            faults.checkpoint("rows locked")

            let bookedKeys = try booked.read(Array(read[bookedKeysRead]))
            var current: [String: (balance: Money, excess: Money)] = [:]
            for row in read[books] {
                let balance = try row.decode(1, as: Money.self)
                let excess = try balance.subtracting(try row.decode(2, as: Money.self)).subtracting(try row.decode(3, as: Money.self))
                current[try row.decode(0, as: String.self)] = (balance, excess)
            }

            var toApply: [PreparedBatch.Line] = []
            var events: [AuditEvent] = []
            for preparedLine in prepared.lines {
                let line = preparedLine.line
                if bookedKeys.contains(line.idempotencyKey) {
                    // Booked before: never again, but not silently either. What that booking left
                    // is rechecked; anything else is a residual a person must see.
                    let left = try line.excess.adding(line.delta).subtracting(line.receivable)
                    if let now = current[line.userId], now.excess != left {
                        outcome.skipped.append(.init(userId: line.userId, label: line.label, reason: .residual, plannedExcess: line.excess,
                                                    currentExcess: now.excess, currentBalance: now.balance))
                        events.append(AuditEvent(action: "correction.skipped", actor: actor.name, planDigest: bundle.digest, userId: line.userId,
                                                 details: SkipDetails(reason: .residual, plannedExcess: line.excess, currentExcess: now.excess,
                                                                      currentBalance: now.balance, idempotencyKey: line.idempotencyKey)))
                    } else {
                        outcome.alreadyApplied.append(line.userId)
                    }
                    continue
                }
                guard let now = current[line.userId] else {
                    outcome.skipped.append(.init(userId: line.userId, label: line.label, reason: .missing, plannedExcess: line.excess, currentExcess: nil, currentBalance: nil))
                    continue
                }
                let reason: ApplyReport.Skipped.Reason?
                if now.excess != line.precondition.excess {
                    reason = .stale
                } else if line.delta.isNegative, (try now.balance.adding(line.delta)).isNegative, bundle.plan.negativeBalancePolicy != .allow {
                    reason = .wouldGoNegative
                } else {
                    reason = nil
                }
                if let reason {
                    outcome.skipped.append(.init(userId: line.userId, label: line.label, reason: reason, plannedExcess: line.excess,
                                                currentExcess: now.excess, currentBalance: now.balance))
                    events.append(AuditEvent(action: "correction.skipped", actor: actor.name, planDigest: bundle.digest, userId: line.userId,
                                                 details: SkipDetails(reason: reason, plannedExcess: line.excess, currentExcess: now.excess,
                                                                      currentBalance: now.balance, idempotencyKey: line.idempotencyKey)))
                    continue
                }
                toApply.append(preparedLine)
            }
            var applied: [ApplyReport.Applied] = []
            if !toApply.isEmpty || !events.isEmpty {
                // A second round trip for every write but the audit rows: the entries, the balances
                // moved, deferred triggers fired, the balances read back, and the audit log's lock and
                // head (the audit rows' hashes need it).
                var writes = PostgresPipeline()
                var movedBalances: Int?
                let movedIds = PostgresArray(toApply.map(\.line.userId))
                if !toApply.isEmpty {
                    writes.add(try bookStatements(toApply, of: prepared, current: current, runId: runId, operatorKey: operatorKey))
                    let move = statements.move.binding(["user_ids": movedIds, "deltas": PostgresArray(toApply.map(\.line.delta))])
                    // Read back after the update (never from RETURNING, which shows the row before AFTER
                    // triggers ran), with deferred triggers fired first: whatever else moves these
                    // balances in this transaction shows here.
                    let reread = statements.balancesAfterMove.binding(["user_ids": movedIds])
                    writes.add([PostgresStatement(move.sql, move.parameters), PostgresStatement(ApplySQL.fireDeferredTriggers)])
                    movedBalances = writes.add(PostgresStatement(reread.sql, reread.parameters))
                }
                let auditHead = writes.add(AuditLog.lockThenHead).last!
                let expected = try toApply.map { try current[$0.line.userId]!.balance.adding($0.line.delta) }
                var appliedEvents: [AuditEvent] = []
                let written = try connection.pipeline(writes) {
                    if !toApply.isEmpty { faults.checkpoint("entries booked") }
                    // The applied lines' audit rows, made while the server runs the writes; kept only
                    // if every balance moved as expected (checked below, before they are appended).
                    appliedEvents = zip(toApply, expected).map { preparedLine, after in
                        AuditEvent(action: bundle.plan.kind == .revert ? "revert.applied" : "correction.applied",
                                   actor: actor.name, planDigest: bundle.digest, userId: preparedLine.line.userId,
                                   details: CorrectionDetails(prepared: preparedLine, of: prepared, before: current[preparedLine.line.userId]!.balance,
                                                              after: after, approvers: approvers))
                    }
                }

                if let movedBalances {
                    var moved: [String: Money] = [:]
                    for row in written[movedBalances] {
                        moved[try row.decode(0, as: String.self)] = try row.decode(1, as: Money.self)
                    }
                    for (preparedLine, after) in zip(toApply, expected) {
                        let line = preparedLine.line
                        let before = current[line.userId]!.balance
                        // A trigger on users that also moves the balance must fail the batch, loudly.
                        guard moved[line.userId] == after else {
                            throw RemedyError(.invariant, "the balance of user \(line.userId) moved to \(moved[line.userId]?.rupiah ?? "nothing") instead of \(after.rupiah) (before \(before.rupiah), delta \(line.delta.rupiah)): something else changes balances on update; the batch was rolled back")
                        }
                        applied.append(.init(userId: line.userId, label: line.label, balanceBefore: before, balanceAfter: after,
                                             delta: line.delta, receivable: line.receivable))
                    }
                    events += appliedEvents
                    faults.checkpoint("balances moved")
                }
                guard let head = written[auditHead].first else {
                    throw RemedyError(.invariant, "the audit log's head was not read back; the batch was rolled back")
                }
                outcome.auditHead = try AuditLog(connection: connection).append(events, head: head)
            }
            faults.checkpoint("before commit") { try connection.sendWithoutWaitingForTheAnswer("COMMIT") }
            for line in applied {
                outcome.takenBack = try outcome.takenBack.subtracting(line.delta)
                outcome.receivablesOpened = try outcome.receivablesOpened.adding(line.receivable)
            }
            outcome.applied = applied
        }
        faults.checkpoint("after commit")
    }

    /// A batch's statements, rendered from the job's spec once per run; each batch binds its own
    /// users (and deltas) to them. Shared by the run's connections: immutable once rendered
    /// (`@unchecked`: the rendered templates hold their bound values as existentials).
    struct Statements: @unchecked Sendable {
        let lock: SQLTemplate.Rendered
        let recheck: SQLTemplate.Rendered
        let move: SQLTemplate.Rendered
        let balancesAfterMove: SQLTemplate.Rendered

        init(spec: JobSpec, template: SQLTemplate) throws {
            let batch = template.with(["user_ids": PostgresArray<String>([]), "deltas": PostgresArray<Money>([])])
            lock = try batch.render(ApplySQL.lockUsers, file: "lock")
            recheck = try batch.render(spec.sql["recheck"]!, file: "\(spec.directory)/recheck.sql")
            move = try batch.render(ApplySQL.moveBalances, file: "move balances")
            balancesAfterMove = try batch.render(ApplySQL.balancesAfterMove, file: "balances after move")
            // Each batch binds its users to every statement (JobSpec.load refuses a recheck without them).
            precondition([lock, recheck, move, balancesAfterMove].allSatisfy { $0.names.contains("user_ids") } && move.names.contains("deltas"))
        }
    }

    /// The batch's keys that are booked, or whose correction is still live under an earlier
    /// generation's key (that generation was not reverted): neither may be booked now. As
    /// statements for the batch's pipeline, and how to read their answers.
    private func bookedKeyQueries(_ batch: [AdjustmentLine]) -> (statements: [PostgresStatement], read: ([[PostgresRow]]) throws -> Set<String>) {
        let bookedKind = bundle.plan.kind == .revert ? "revert" : "discovered"
        var statements = [PostgresStatement(ApplySQL.bookedKeys, [PostgresArray(batch.map(\.idempotencyKey)), bookedKind])]
        var previousRevertKeys: [String: String] = [:]
        if bundle.plan.kind == .correction {
            for line in batch {
                if let previous = CorrectionKey.previous(of: line.idempotencyKey) { previousRevertKeys[RevertPlanner.revertKey(of: previous)] = line.idempotencyKey }
            }
        }
        if !previousRevertKeys.isEmpty {
            statements.append(PostgresStatement(ApplySQL.bookedKeys, [PostgresArray(Array(previousRevertKeys.keys)), "revert"]))
        }
        return (statements, { answers in
            var booked = Set(try answers[0].map { try $0.decode(0, as: String.self) })
            guard answers.count > 1 else { return booked }
            let reverted = Set(try answers[1].map { try $0.decode(0, as: String.self) })
            for (revertKey, key) in previousRevertKeys where !reverted.contains(revertKey) { booked.insert(key) }
            return booked
        })
    }

    /// The two entries of each correction (discovered +E with the evidence, reversal −E) and any
    /// receivable, signed by the operator; for a revert, one entry cancelling the reversal, and the
    /// correction's receivable settled. As statements for the batch's pipeline.
    private func bookStatements(_ booked: [PreparedBatch.Line], of batch: PreparedBatch, current: [String: (balance: Money, excess: Money)],
                                runId: String, operatorKey: SigningKey) throws -> [PostgresStatement] {
        let isRevert = batch.isRevert
        let lines = booked.map(\.line)
        var columns = [[String?]](repeating: [], count: 6)
        var signatures: [String?] = []
        for line in lines {
            let before = current[line.userId]!.balance
            let after = try before.adding(line.delta)
            let entries = isRevert
                ? [("revert", try line.delta.subtracting(line.receivable))]
                : [("discovered", line.excess), ("reversal", try line.excess.negated())]
            for (kind, amount) in entries {
                let values: [String?] = [line.idempotencyKey, kind, line.userId, amount.exactText, before.exactText, after.exactText]
                for (index, value) in values.enumerated() { columns[index].append(value) }
                // The reversal only mirrors its discovered entry, which carries what a revert reads.
                signatures.append(kind == "reversal" ? nil : try BookSignature.sign(
                    BookSignature.entry(installationId: bundle.plan.database.installationId, idempotencyKey: line.idempotencyKey, kind: kind, job: spec.name, planDigest: bundle.digest, runId: runId,
                                        userId: line.userId, amount: amount, balanceBefore: before, balanceAfter: after), with: operatorKey))
            }
        }
        var statements = [PostgresStatement(ApplySQL.bookEntries, [spec.name, bundle.digest, runId] + columns.map { PostgresArray($0) }
                                                                    + [try batch.evidenceColumn(of: booked), operatorKey.publicKey.base64, PostgresArray(signatures)])]
        if isRevert {
            let settling = try lines.compactMap { line in try line.revertsKey.map { (receivable: $0, revert: line.idempotencyKey, amount: try line.receivable.negated()) } }
                .filter { $0.amount.isPositive }
            if !settling.isEmpty {
                let signatures = try settling.map {
                    try BookSignature.sign(BookSignature.settled(installationId: bundle.plan.database.installationId, receivableKey: $0.receivable, revertKey: $0.revert, planDigest: bundle.digest,
                                                                             runId: runId, amount: $0.amount), with: operatorKey)
                }
                statements.append(PostgresStatement(RevertSQL.settleReceivables, [PostgresArray(settling.map(\.receivable)), PostgresArray(settling.map(\.revert)),
                                                                                 bundle.digest, runId, operatorKey.publicKey.base64,
                                                                                 PostgresArray(settling.map(\.amount)), PostgresArray(signatures)]))
            }
            return statements
        }
        let owed = lines.filter { $0.receivable.isPositive }
        if !owed.isEmpty {
            let signatures = try owed.map {
                try BookSignature.sign(BookSignature.opened(installationId: bundle.plan.database.installationId, idempotencyKey: $0.idempotencyKey, job: spec.name, planDigest: bundle.digest,
                                                                        userId: $0.userId, amount: $0.receivable), with: operatorKey)
            }
            statements.append(PostgresStatement(ApplySQL.openReceivables, [spec.name, bundle.digest, PostgresArray(owed.map(\.idempotencyKey)),
                                                                          PostgresArray(owed.map(\.userId)), PostgresArray(owed.map(\.receivable)),
                                                                          operatorKey.publicKey.base64, PostgresArray(signatures)]))
        }
        return statements
    }

    /// Connection `number` (from 1) of a run, confirmed to reach the plan's database, as the
    /// first was by the preflight.
    private func connectAnother(_ number: Int, _ connect: () throws -> PostgresConnection) throws -> PostgresConnection {
        let other = try connect()
        let identity = try RemedyStore(connection: other).identity()
        guard identity == bundle.plan.database else {
            other.close()
            throw RemedyError(.wrongDatabase, "apply's connection \(number + 1) reached \(identity), not the plan's \(bundle.plan.database): every connection must reach the plan's database; check the database URL")
        }
        return other
    }

    /// The run is done in the database whatever happens here: a report that cannot be written is
    /// warned about, not an error (the audit log holds every line; `remedy export` reads it).
    private func writeReport(_ report: inout ApplyReport, from spool: RunReportSpool) {
        let path = "\(bundle.path)/\(BundleRuns.directory)/\(report.runId).json"
        do {
            try spool.write(report, toFile: path, afterEachWrite: faults.reportWrite)
            report.path = path
        } catch {
            logger.warning("apply: the run report could not be written to \(path): \(error); the audit log holds the run's lines (remedy export)",
                           metadata: ["step": "apply", "plan_digest": "\(bundle.digest)", "run_id": "\(report.runId)"])
        }
    }
}
