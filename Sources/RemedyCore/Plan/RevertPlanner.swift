import Crypto
import Foundation
import Postgres
import Rupiah

/// `remedy revert`: a new plan that puts back what an applied plan took, line by line, with the
/// same sign-off and exactly-once apply as any plan. Each line's precondition is the excess the
/// user has now (zero after a clean apply), so a user whose books moved since is stale, not
/// blindly refunded.
public struct RevertPlanner {
    public let spec: JobSpec
    /// Read with `PlanBundle.readStreaming`: its lines are decoded a batch at a time.
    public let original: StreamedPlanBundle
    public let plannerKey: SigningKey
    public let connection: PostgresConnection
    /// The original's lines looked up in the book (and rechecked) per query.
    static let batchLines = 1_000
    /// Revert lines kept in memory for the summary; the rest go straight to the spool.
    public static let previewLines = 200

    public init(spec: JobSpec, original: StreamedPlanBundle, plannerKey: SigningKey, connection: PostgresConnection) {
        self.spec = spec
        self.original = original
        self.plannerKey = plannerKey
        self.connection = connection
    }

    /// The revert plan, written as a bundle and recorded. Its lines are spooled to disk beside the
    /// bundle as they are made (never all held), in the original's order.
    public func plan(outDirectory: String?, defaultParent: String) throws -> WrittenPlan {
        try PlanBundle.requireNew(outDirectory)
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        let planner = try store.requireTrusted(plannerKey, as: "planner")
        let originalPlan = original.bundle.plan
        let originalDigest = original.bundle.digest
        guard originalPlan.kind == .correction else {
            throw RemedyError(.badInput, "\(original.bundle.path) is itself a revert; apply a new plan instead of reverting a revert")
        }
        guard try !connection.query(RemedyStoreSQL.planExists, [originalDigest]).isEmpty else {
            throw RemedyError(.tampered, "no plan with digest \(originalDigest.prefix(16))… is recorded in this database")
        }
        let spool = try PlanSpool(directory: PlanBundle.temporaryParent(for: outDirectory, defaultParent: defaultParent), job: spec.name,
                                  previewLines: RevertPlanner.previewLines)
        var totals = PlanTotals()
        var identity: DatabaseIdentity?
        var snapshotAt = ""
        var evidence: PlanEvidence?
        do {
            try connection.transaction(TransactionOptions(isolation: .repeatableRead, readOnly: true)) {
                snapshotAt = try connection.query(CatalogSQL.snapshotTime)[0].decode(0, as: String.self)
                identity = try store.identity()
                // A revert settles the receivables its corrections opened, and puts back what the
                // entries say was taken: each must be one an operator signed.
                let trust = try BookSignature.Trust.read(on: connection)
                try BookSignature.requireSigned(on: connection, trust: trust)
                let catalog = try ShopCatalog.inspect(spec, on: connection)
                let (refires, reason) = catalog.balanceTriggerRefires(spec)
                evidence = PlanEvidence(triggers: catalog.triggers, triggerRefires: refires, triggerRefiresReason: reason,
                                        balanceCheckConstraints: catalog.balanceCheckConstraints)
                let template = try SQLTemplate.bindings(for: spec, parameters: JobParameters(values: [:]), userIdType: catalog.userIdType, zonelessTimes: catalog.zonelessTimes)
                try original.adjustments.forEachBatch(of: RevertPlanner.batchLines) { batch in
                    for line in try revertLines(of: batch, template: template, trust: trust) {
                        try totals.add(line)
                        try spool.add(DecidedLine(.adjust(line), encoding: false))
                    }
                }
            }
            guard let identity, let evidence else { throw RemedyError(.invariant, "revert finished without reading the database") }
            guard totals.adjustmentCount > 0 else {
                throw RemedyError(.notApplicable, "plan \(originalDigest.prefix(16))… has no applied correction left to revert (none applied, or every one already reverted)")
            }
            try spool.finish()
            totals.usersExamined = totals.adjustmentCount
            let expiresAt = try Timestamp(iso8601: snapshotAt).adding(seconds: Int64(spec.approval.planValidHours) * 3_600)
            let header = Plan(
                format: Plan.currentFormat, kind: .revert, job: spec.name, jobVersion: spec.version, specDigest: spec.digest,
                parameters: originalPlan.parameters, database: identity, snapshotAt: snapshotAt, expiresAt: expiresAt.description,
                planner: planner, quorum: spec.approval.quorumRoles, negativeBalancePolicy: originalPlan.negativeBalancePolicy,
                evidence: evidence, reverts: originalDigest, standingPolicy: nil, adjustments: [], holds: [], settled: [], totals: totals)
            return try PlanRecorder(connection: connection, plannerKey: plannerKey)
                .write(SpooledPlan(header: header, spool: spool), outDirectory: outDirectory, defaultParent: defaultParent)
        } catch {
            spool.discard()
            throw error
        }
    }

    /// The revert line of each of these original lines whose correction is booked and not yet
    /// reverted: what it took put back, what it left owed settled, against the books now. Each
    /// booked correction must be signed by a trusted operator and be what its line approved: a
    /// revert never puts back more than was taken.
    private func revertLines(of batch: [AdjustmentLine], template: SQLTemplate, trust: BookSignature.Trust) throws -> [AdjustmentLine] {
        let originals = Dictionary(batch.map { ($0.idempotencyKey, $0) }, uniquingKeysWith: { first, _ in first })
        let booked = try connection.query(RevertSQL.bookedCorrections, [original.bundle.digest, PostgresArray(batch.map(\.idempotencyKey))])
        try BookSignature.requireSignedEntries(booked, trust: trust)
        for row in booked {
            let key = try row.decode(0, as: String.self)
            let takenBack = try (try row.decode(7, as: Money.self)).subtracting(try row.decode(8, as: Money.self))
            guard let line = originals[key], try row.decode(6, as: Money.self) == line.excess, takenBack == (try line.delta.negated()) else {
                throw RemedyError(.tampered, "remedy.entries records correction \(key) as taking \(takenBack.rupiah), which its plan line did not approve (\(originals[key].map { (try? $0.delta.negated().rupiah) ?? "?" } ?? "no such line")); the book was written behind remedy's back: find out who wrote it")
            }
        }
        // A correction already reverted is not live: there is nothing of it left to put back.
        let revertKeys = try booked.map { RevertPlanner.revertKey(of: try $0.decode(0, as: String.self)) }
        let reverted = Set(try connection.query(ApplySQL.bookedKeys, [PostgresArray(revertKeys), "revert"]).map { try $0.decode(0, as: String.self) })
        let applied = zip(booked, revertKeys).filter { !reverted.contains($0.1) }.map(\.0)
        guard !applied.isEmpty else { return [] }
        let ids = try applied.map { try $0.decode(5, as: String.self) }
        let recheck = try template.with(["user_ids": PostgresArray(ids)]).render(spec.sql["recheck"]!, file: "\(spec.directory)/recheck.sql")
        var current: [String: (balance: Money, ledger: Money, receivables: Money)] = [:]
        for row in try connection.query(recheck.sql, recheck.parameters) {
            current[try row.decode(0, as: String.self)] = (try row.decode(1), try row.decode(2), try row.decode(3))
        }
        return try applied.compactMap { row in
            let userId = try row.decode(5, as: String.self)
            let originalKey = try row.decode(0, as: String.self)
            let excess = try row.decode(6, as: Money.self)
            let takenBack = try (try row.decode(7, as: Money.self)).subtracting(try row.decode(8, as: Money.self))
            let openReceivable = try row.decode(11, as: Money.self)
            guard let now = current[userId] else { return nil }
            let nowExcess = try now.balance.subtracting(now.ledger).subtracting(now.receivables)
            let line = originals[originalKey]
            return AdjustmentLine(
                userId: userId, label: line?.label ?? userId, contact: line?.contact,
                balance: now.balance, ledger: now.ledger, openReceivables: now.receivables, excess: nowExcess,
                delta: takenBack, receivable: try openReceivable.negated(), balanceAfter: try now.balance.adding(takenBack),
                attribution: line?.attribution ?? Decomposition(topUps: [], total: excess),
                decompositions: 1, ambiguous: false, precondition: Precondition(excess: nowExcess),
                idempotencyKey: RevertPlanner.revertKey(of: originalKey), revertsKey: originalKey)
        }
    }

    static func revertKey(of correctionKey: String) -> String {
        SHA256.hash(data: Data("remedy-revert/v1\n\(correctionKey)".utf8)).hexString
    }
}
