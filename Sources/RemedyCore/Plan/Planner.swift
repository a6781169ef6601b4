import Foundation
import Logging
import Postgres
import Rupiah

/// Plan: the dry run. Reads one snapshot (read-only on the shop's tables), decides every user,
/// writes the bundle, records the plan and its audit row. Returns the bundle.
///
/// Two connections when a read replica is given: the primary (`connection`) is asked whom to
/// trust and which database this is, and gets the plan's row and audit row; the replica
/// (`readReplica`) holds detect's snapshot and everything read in it (check's probes, the shop's
/// rows, acknowledgements, reverted keys, open receivables). Without one, the primary does both.
public struct Planner {
    public let spec: JobSpec
    public let parameters: JobParameters
    public let plannerKey: SigningKey
    public let connection: PostgresConnection
    /// Where detect's snapshot is taken instead of the primary (`remedy plan --read-url`).
    public var readReplica: ReadReplica?
    /// Progress and events, with metadata (step, job, counts): the CLI renders them for people
    /// or as JSON lines.
    public let logger: Logger
    /// How long the plan stays valid; the spec's `plan_valid_hours` unless a test sets it.
    var validitySeconds: Int64?
    /// detect's work_mem, when a test sets one other than `Detector.workMemoryKilobytes`.
    var detectWorkMemoryKilobytes: Int?
    /// The reliability tests' crash point, once every line is spooled (REMEDY_FAULT_KILL_AT).
    let faults = FaultInjection()

    public init(spec: JobSpec, parameters: JobParameters, plannerKey: SigningKey, connection: PostgresConnection,
                readReplica: ReadReplica? = nil, logger: Logger = .silent) {
        self.spec = spec
        self.parameters = parameters
        self.plannerKey = plannerKey
        self.connection = connection
        self.readReplica = readReplica
        self.logger = logger
    }

    /// Detect and decide, then write and record the bundle.
    public func plan(outDirectory: String?, defaultParent: String) throws -> PlanBundle {
        try PlanRecorder(connection: connection, plannerKey: plannerKey).write(try makePlan(), outDirectory: outDirectory, defaultParent: defaultParent)
    }

    /// Detect and decide: the plan, not yet written or recorded (a standing-policy run splits it).
    public func makePlan() throws -> Plan {
        var adjustments: [AdjustmentLine] = []
        var holds: [HeldLine] = []
        var settled: [SettledLine] = []
        var plan = try detectAndDecide(encodingLines: false) { line in
            switch line.decision {
            case .adjust(let line): adjustments.append(line)
            case .hold(let line): holds.append(line)
            case .settled(let line): settled.append(line)
            case .none: break
            }
        }
        plan.adjustments = adjustments
        plan.holds = holds
        plan.settled = settled
        return plan
    }

    /// Detect and decide, writing each line to a spool in `temporaryDirectory` as it is decided,
    /// never holding them all: what `remedy plan` does, so its memory stays flat at any size.
    /// `previewLines` lines of each section are kept for the summary.
    public func spool(in temporaryDirectory: String, previewLines: Int) throws -> SpooledPlan {
        let spool = try PlanSpool(directory: temporaryDirectory, job: spec.name, previewLines: previewLines)
        do {
            let header = try detectAndDecide(encodingLines: true) { try spool.add($0) }
            try spool.finish()
            faults.checkpoint("plan: every line spooled, the bundle not yet written")
            return SpooledPlan(header: header, spool: spool)
        } catch {
            spool.discard()
            throw error
        }
    }

    /// One snapshot: each user's decision goes to `onLine` in detect's order (holds already marked
    /// when a person acknowledged them with these numbers; with `encodingLines`, the line's
    /// canonical JSON beside it). Returns the plan without its lines, its totals summed from them.
    func detectAndDecide(encodingLines: Bool, _ onLine: (DecidedLine) throws -> Void) throws -> Plan {
        // Trust and identity from the primary: a lagging replica may still trust a key removed since.
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        let planner = try store.requireTrusted(plannerKey, as: "planner")
        // The plan names the primary, where apply runs (ReadReplica.confirm matched the replica to it).
        let primaryIdentity = readReplica == nil ? nil : try store.identity()
        let reader = readReplica?.connection ?? connection
        let since = try parameters.timestamp("since")
        let until = try parameters.timestamp("until")
        guard since < until else {
            throw RemedyError(.badParameter, "the bug window is empty: since (\(since)) must be before until (\(until))")
        }

        // A spec that asks for the stored callbacks to be verified needs the merchant's key: refuse
        // before reading anything (check's probes read it again in the snapshot).
        if let signed = spec.schema.transactions.callbackSignature { _ = try MerchantKey.load(signed) }

        var totals = PlanTotals()
        var identity: DatabaseIdentity?
        var evidence: PlanEvidence?
        var strategy: LineStrategy?
        var acknowledged = Acknowledgements.Latest()
        var warnings: [String] = []
        var replicaPosition: ReadReplicaPosition?

        logger.notice("detect: reading one snapshot of \(spec.schema.users.table) and \(spec.schema.transactions.table)\(readReplica.map { " on the read replica \($0.server)" } ?? "")",
                      metadata: ["step": "detect", "job": "\(spec.name)"])
        var detector = Detector(spec: spec, parameters: parameters)
        if let detectWorkMemoryKilobytes { detector.workMemoryKilobytes = detectWorkMemoryKilobytes }
        let snapshot = try explainingReplicaConflicts { try detector.run(
            on: reader,
            progress: { rows in logger.notice("detect: \(rows) users examined", metadata: ["step": "detect", "job": "\(spec.name)", "done": "\(rows)"]) },
            waiting: { [logger, job = spec.name] elapsed in
                logger.notice("detect: still reading, \(elapsed / 1_000) s so far (the database works before the first user comes back)",
                              metadata: ["step": "detect", "job": "\(job)", "elapsed_milliseconds": "\(elapsed)"])
            },
            prepare: { catalog in
                // remedy check's probes, in this snapshot: refuse where check says the job cannot
                // run here; what it warns about goes in the plan for the approvers.
                let check = try SchemaCheck(spec: spec, parameters: parameters).probe(on: reader)
                if let error = check.errors.first {
                    throw RemedyError(.badSpec, "\(error.message) (remedy check \(spec.name) lists everything to fix)")
                }
                warnings = check.warnings.map(\.message)
                for warning in warnings { logger.warning("check: warning: \(warning)", metadata: ["step": "check", "job": "\(spec.name)"]) }
                if let readReplica {
                    identity = primaryIdentity
                    let position = try readReplica.position()
                    replicaPosition = position
                    logger.notice("detect: the snapshot is the \(position.description)", metadata: ["step": "detect", "job": "\(spec.name)", "replay_lsn": "\(position.replayLsn)"])
                } else {
                    identity = try store.identity()
                }
                acknowledged = try Acknowledgements(connection: reader).latest(job: spec.name)
                let (refires, reason) = catalog.balanceTriggerRefires(spec)
                evidence = PlanEvidence(triggers: catalog.triggers, triggerRefires: refires, triggerRefiresReason: reason,
                                        balanceCheckConstraints: catalog.balanceCheckConstraints)
                logger.notice("detect: the balance trigger \(refires ? "re-fires" : "does not re-fire") on updates: \(reason)",
                              metadata: ["step": "detect", "job": "\(spec.name)", "trigger_refires": "\(refires)"])
                // In the same snapshot: corrections reverted by then are taken again under a new key.
                let revertKeys = Set(try reader.query(ApplySQL.revertKeysOfJob, [spec.name]).map { try $0.decode(0, as: String.self) })
                strategy = LineStrategy(spec: spec, triggerRefires: refires, negativeForbidden: !catalog.balanceCheckConstraints.isEmpty,
                                        revertKeys: revertKeys, callbackFailures: check.callbackSignatures?.failures ?? [:])
            },
            onRows: { rows in
                // Decided (and, for a spool, encoded) on every core; counted and handed on in order.
                let decided = ParallelBatch.map(rows) { [strategy = strategy!, acknowledged] row in
                    DecidedLine(Self.decide(row, strategy: strategy, acknowledged: acknowledged), encoding: encodingLines)
                }
                for line in decided {
                    switch line.decision {
                    case .adjust(let adjustment): try totals.add(adjustment)
                    case .hold(let hold): try totals.add(hold)
                    case .settled(let settled): totals.add(settled)
                    case .none: break
                    }
                    try onLine(line)
                }
            }) }
        guard let identity, let evidence else { throw RemedyError(.invariant, "detect finished without reading the catalog") }

        totals.usersExamined = snapshot.rowsRead
        let expiresAt = try Timestamp(iso8601: snapshot.takenAt).adding(seconds: validitySeconds ?? Int64(spec.approval.planValidHours) * 3_600)
        let plan = Plan(
            format: Plan.currentFormat, kind: .correction, job: spec.name, jobVersion: spec.version, specDigest: spec.digest,
            parameters: parameters.values, database: identity, snapshotAt: snapshot.takenAt,
            expiresAt: expiresAt.description, planner: planner, quorum: spec.approval.quorumRoles,
            negativeBalancePolicy: spec.negativeBalance, evidence: evidence, reverts: nil, standingPolicy: nil,
            adjustments: [], holds: [], settled: [], totals: totals, warnings: warnings, readReplica: replicaPosition)
        logger.notice("plan: \(totals.adjustmentCount) adjustments, \(totals.holdCount) holds (\(totals.acknowledgedCount) acknowledged), \(totals.settledCount) already corrected", metadata: ["step": "plan", "job": "\(spec.name)", "adjustments": "\(totals.adjustmentCount)", "holds": "\(totals.holdCount)", "settled": "\(totals.settledCount)"])
        return plan
    }
}

/// One user's decision, and the canonical JSON of its line when it is for a spool (encoded on
/// the thread that decided it).
struct DecidedLine: Sendable {
    let decision: LineStrategy.Decision
    let canonicalJSON: [UInt8]?

    init(_ decision: LineStrategy.Decision, encoding: Bool) {
        self.decision = decision
        canonicalJSON = encoding ? decision.canonicalJSON : nil
    }
}

extension Planner {
    /// A row's decision. Called on several threads at once: it only reads what it is given.
    static func decide(_ row: Detector.Row, strategy: LineStrategy, acknowledged: Acknowledgements.Latest) -> LineStrategy.Decision {
        switch row {
        case .unreadable(let row):
            var line = HeldLine(userId: row.userId, label: row.label, balance: .zero, ledger: .zero, openReceivables: .zero,
                                excess: .zero, reason: .unreadable,
                                explanation: "this user's numbers cannot be read exactly (\(row.problem)); nothing is done to them until a person looks",
                                closest: nil)
            acknowledged.mark(&line)
            return .hold(line)
        case .finding(let finding):
            let decision = strategy.decide(finding)
            guard case .hold(var line) = decision else { return decision }
            acknowledged.mark(&line)
            return .hold(line)
        }
    }
}

extension Planner {
    /// A replica's recovery conflict said in one line (ReadReplica.explainingRecoveryConflict).
    private func explainingReplicaConflicts<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            throw readReplica.map { ReadReplica.explainingRecoveryConflict(error, server: $0.server) } ?? error
        }
    }
}

/// Writes a plan's bundle, signs its digest with the planner's key (planner.json), and records
/// it with the signature and its audit row in one transaction.
public struct PlanRecorder {
    let connection: PostgresConnection
    let plannerKey: SigningKey

    public init(connection: PostgresConnection, plannerKey: SigningKey) {
        self.connection = connection
        self.plannerKey = plannerKey
    }

    public func write(_ plan: Plan, outDirectory: String?, defaultParent: String) throws -> PlanBundle {
        let bundle = try PlanBundle.write(plan, into: outDirectory, defaultParent: defaultParent)
        try record(plan, path: bundle.path, digest: bundle.digest)
        return bundle
    }

    /// The same for a spooled plan: its bundle is assembled from the spool, which is then removed
    /// (`evidenceFrom`: PlanBundle.write).
    public func write(_ spooled: SpooledPlan, outDirectory: String?, defaultParent: String, evidenceFrom: String? = nil) throws -> WrittenPlan {
        defer { spooled.spool.discard() }
        let (path, digest) = try PlanBundle.write(spooled, into: outDirectory, defaultParent: defaultParent, evidenceFrom: evidenceFrom)
        try record(spooled.header, path: path, digest: digest)
        return WrittenPlan(path: path, digest: digest, header: spooled.header, preview: spooled.spool.preview)
    }

    private func record(_ plan: Plan, path: String, digest: String) throws {
        let actor = plan.planner
        guard actor.publicKey == plannerKey.publicKey else {
            throw RemedyError(.invariant, "the plan names planner \(actor.name) but is being signed with \(plannerKey.name)'s key")
        }
        let signature = try PlannerSignature.sign(planDigest: digest, plan: plan, with: plannerKey)
        try signature.write(into: path)
        struct Created: Encodable { let job: String; let kind: Plan.Kind; let bundle: String; let parameters: [String: String]; let totals: PlanTotals; let reverts: String?; let standingPolicy: String? }
        try connection.transaction {
            try connection.execute(RemedyStoreSQL.insertPlan, [
                digest, plan.job, plan.kind.rawValue, plan.specDigest, actor.publicKey.base64, actor.name,
                plan.expiresAt, path, String(decoding: try CanonicalJSON.encode(plan.totals), as: UTF8.self), plan.standingPolicy,
                signature.signature,
            ])
            try AuditLog(connection: connection).append([
                try AuditEvent(action: "plan.created", actor: actor.name, planDigest: digest,
                               details: Created(job: plan.job, kind: plan.kind, bundle: path, parameters: plan.parameters,
                                                totals: plan.totals, reverts: plan.reverts, standingPolicy: plan.standingPolicy)),
            ])
        }
    }
}
