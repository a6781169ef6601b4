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
    public let original: PlanBundle
    public let plannerKey: SigningKey
    public let connection: PostgresConnection

    public init(spec: JobSpec, original: PlanBundle, plannerKey: SigningKey, connection: PostgresConnection) {
        self.spec = spec
        self.original = original
        self.plannerKey = plannerKey
        self.connection = connection
    }

    public func plan(outDirectory: String?, defaultParent: String) throws -> PlanBundle {
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        let planner = try store.requireTrusted(plannerKey, as: "planner")
        guard original.plan.kind == .correction else {
            throw RemedyError(.badInput, "\(original.path) is itself a revert; apply a new plan instead of reverting a revert")
        }
        guard try !connection.query(RemedyStoreSQL.planExists, [original.digest]).isEmpty else {
            throw RemedyError(.tampered, "no plan with digest \(original.digest.prefix(16))… is recorded in this database")
        }
        let originalLines = Dictionary(original.plan.adjustments.map { ($0.userId, $0) }, uniquingKeysWith: { first, _ in first })
        var lines: [AdjustmentLine] = []
        var identity: DatabaseIdentity?
        var snapshotAt = ""
        var evidence: PlanEvidence?
        try connection.transaction(TransactionOptions(isolation: .repeatableRead, readOnly: true)) {
            snapshotAt = try connection.query(CatalogSQL.snapshotTime)[0].decode(0, as: String.self)
            identity = try store.identity()
            let catalog = try ShopCatalog.inspect(spec, on: connection)
            let (refires, reason) = catalog.balanceTriggerRefires(spec)
            evidence = PlanEvidence(triggers: catalog.triggers, triggerRefires: refires, triggerRefiresReason: reason,
                                    balanceCheckConstraints: catalog.balanceCheckConstraints)
            // A correction already reverted is not live: there is nothing of it left to put back.
            let booked = try connection.query(RevertSQL.appliedCorrections, [original.digest])
            let revertKeys = try booked.map { RevertPlanner.revertKey(of: try $0.decode(1, as: String.self)) }
            let reverted = Set(try connection.query(ApplySQL.bookedKeys, [PostgresArray(revertKeys), "revert"]).map { try $0.decode(0, as: String.self) })
            let applied = zip(booked, revertKeys).filter { !reverted.contains($0.1) }.map(\.0)
            let template = try SQLTemplate.bindings(for: spec, parameters: JobParameters(values: [:]), userIdType: catalog.userIdType)
            var current: [String: (balance: Money, ledger: Money, receivables: Money)] = [:]
            for start in stride(from: 0, to: applied.count, by: 1_000) {
                let ids = try applied[start..<min(start + 1_000, applied.count)].map { try $0.decode(0, as: String.self) }
                let recheck = try template.with(["user_ids": PostgresArray(ids)]).render(spec.sql["recheck"]!, file: "\(spec.directory)/recheck.sql")
                for row in try connection.query(recheck.sql, recheck.parameters) {
                    current[try row.decode(0, as: String.self)] = (try row.decode(1), try row.decode(2), try row.decode(3))
                }
            }
            for row in applied {
                let userId = try row.decode(0, as: String.self)
                let originalKey = try row.decode(1, as: String.self)
                let excess = try row.decode(2, as: Money.self)
                let takenBack = try (try row.decode(3, as: Money.self)).subtracting(try row.decode(4, as: Money.self))
                let openReceivable = try row.decode(5, as: Money.self)
                guard let now = current[userId] else { continue }
                let nowExcess = try now.balance.subtracting(now.ledger).subtracting(now.receivables)
                let line = AdjustmentLine(
                    userId: userId, label: originalLines[userId]?.label ?? userId, contact: originalLines[userId]?.contact,
                    balance: now.balance, ledger: now.ledger, openReceivables: now.receivables, excess: nowExcess,
                    delta: takenBack, receivable: try openReceivable.negated(), balanceAfter: try now.balance.adding(takenBack),
                    attribution: originalLines[userId]?.attribution ?? Decomposition(topUps: [], total: excess),
                    decompositions: 1, ambiguous: false, precondition: Precondition(excess: nowExcess),
                    idempotencyKey: RevertPlanner.revertKey(of: originalKey), revertsKey: originalKey)
                lines.append(line)
            }
        }
        guard let identity, let evidence else { throw RemedyError(.invariant, "revert finished without reading the database") }
        guard !lines.isEmpty else {
            throw RemedyError(.notApplicable, "plan \(original.digest.prefix(16))… has no applied correction left to revert (none applied, or every one already reverted)")
        }
        let expiresAt = try Timestamp(iso8601: snapshotAt).adding(seconds: Int64(spec.approval.planValidHours) * 3_600)
        let totals = try PlanTotals(adjustments: lines, holds: [], settled: [], usersExamined: lines.count)
        let plan = Plan(
            format: Plan.currentFormat, kind: .revert, job: spec.name, jobVersion: spec.version, specDigest: spec.digest,
            parameters: original.plan.parameters, database: identity, snapshotAt: snapshotAt, expiresAt: expiresAt.description,
            planner: planner, quorum: spec.approval.quorumRoles, negativeBalancePolicy: original.plan.negativeBalancePolicy,
            evidence: evidence, reverts: original.digest, standingPolicy: nil, adjustments: lines, holds: [], settled: [], totals: totals)
        return try PlanRecorder(connection: connection, plannerKey: plannerKey).write(plan, outDirectory: outDirectory, defaultParent: defaultParent)
    }

    static func revertKey(of correctionKey: String) -> String {
        SHA256.hash(data: Data("remedy-revert/v1\n\(correctionKey)".utf8)).hexString
    }
}
