import Postgres
import Rupiah

/// Every reason apply refuses, checked before anything is written: the plan is the one recorded
/// here, made by a trusted planner with this job spec, for this database, unexpired, approved by
/// the quorum, a revert's every line puts back exactly what its correction took, and each batch
/// can find its users' rows through an index (or the operator accepted that it cannot). (The
/// plan's form, totals and line arithmetic were checked when the bundle was read.)
public struct ApplyPreflight {
    public let spec: JobSpec
    public let bundle: PlanBundle
    public let connection: PostgresConnection

    public init(spec: JobSpec, bundle: PlanBundle, connection: PostgresConnection) {
        self.spec = spec
        self.bundle = bundle
        self.connection = connection
    }

    public struct Cleared: Sendable {
        public let operator_: Approver
        public let approvers: [Approver]
        /// Approvals that did not count, with why: reported, not a block.
        public let ignored: [String]
    }

    /// `policy`: for the automatic part of a `remedy run`, the standing policy that authorises it.
    /// `adjustments` gives the plan's lines by index range (clamped to the plan), for the checks
    /// that need them without holding them all. `allowUnindexedRecheck`: the operator accepts that
    /// each batch reads a whole unindexed table under its locks (PerUserLookup).
    public func check(operatorKey: SigningKey, policy: StandingPolicy? = nil, allowUnindexedRecheck: Bool = false,
                      adjustments: (Range<Int>) throws -> [AdjustmentLine]) throws -> Cleared {
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        let plan = bundle.plan
        guard plan.job == spec.name else {
            throw RemedyError(.badInput, "the plan is for job \(plan.job), not \(spec.name)")
        }
        // The database first: a plan taken to another database is refused naming both.
        let identity = try store.identity()
        guard identity == plan.database else {
            throw RemedyError(.wrongDatabase, "this plan was made on \(plan.database), but this is \(identity); connect to the plan's database")
        }
        guard let trusted = try store.currentApproverSet() else {
            throw RemedyError(.notInitialized, "no trusted approvers are recorded; run `remedy init --approvers FILE`")
        }
        _ = try PlanAuthorship(bundle: bundle, connection: connection).requireTrusted(in: trusted)
        guard spec.digest == plan.specDigest else {
            throw RemedyError(.tampered, "the job spec in \(spec.directory) changed since this plan was made (spec digest \(spec.digest.prefix(12))… vs \(plan.specDigest.prefix(12))…); make a new plan")
        }
        let now = try Timestamp(iso8601: try connection.query(ApplySQL.now)[0].decode(0, as: String.self))
        guard now < (try Timestamp(iso8601: plan.expiresAt)) else {
            throw RemedyError(.expired, "this plan expired at \(plan.expiresAt); make a new plan and have it approved again")
        }
        let operatorApprover = try store.requireTrusted(operatorKey, as: "operator")
        if !allowUnindexedRecheck { try PerUserLookup.requireIndexed(spec, on: connection) }
        if plan.kind == .revert { try checkRevertLines(adjustments) }
        if let required = plan.standingPolicy {
            // Authorised by a standing policy instead of per-plan approvals: the very policy, still
            // in force, still signed, and every line inside its limits.
            guard let policy, policy.digest == required else {
                throw RemedyError(.quorum, "this plan is authorised by standing policy \(required.prefix(16))…; pass that policy file with --policy")
            }
            let signers = try policy.verify(for: spec, operator: operatorKey.publicKey, connection: connection)
            guard policy.covers(plan.adjustments) else {
                throw RemedyError(.quorum, "this plan has lines outside standing policy \(policy.name); they need a person's sign-off")
            }
            return Cleared(operator_: operatorApprover, approvers: signers, ignored: [])
        }
        let approvals = try PlanApprovals(bundle: bundle, connection: connection).all()
        let outcome = try Quorum(roles: spec.approval.quorumRoles).check(approvals, for: bundle, trusted: trusted)
        return Cleared(operator_: operatorApprover, approvers: outcome.approvers, ignored: outcome.ignored)
    }

    /// A revert line must put back exactly what the correction it names took, and settle exactly
    /// the receivable that correction left open: both read from remedy's book, never the line.
    private func checkRevertLines(_ adjustments: (Range<Int>) throws -> [AdjustmentLine]) throws {
        guard let reverted = bundle.plan.reverts else {
            throw RemedyError(.tampered, "this revert plan does not name the plan it reverts; make a new revert with `remedy revert`")
        }
        let trust = try BookSignature.Trust.read(on: connection)
        try BookSignature.requireSigned(on: connection, trust: trust)
        var start = 0
        while case let batch = try adjustments(start..<start + PlanAdjustmentStream.checkBatch), !batch.isEmpty {
            let keys = PostgresArray(batch.compactMap(\.revertsKey))
            var booked: [String: (takenBack: Money, receivable: Money)] = [:]
            let rows = try connection.query(RevertSQL.bookedCorrections, [reverted, keys])
            try BookSignature.requireSignedEntries(rows, trust: trust)
            for row in rows {
                booked[try row.decode(0, as: String.self)] = (try (try row.decode(7, as: Money.self)).subtracting(try row.decode(8, as: Money.self)),
                                                              try row.decode(11, as: Money.self))
            }
            for line in batch {
                guard let key = line.revertsKey, let correction = booked[key] else {
                    throw RemedyError(.tampered, "revert line for user \(line.userId) names a correction plan \(reverted.prefix(16))… never booked; make a new revert with `remedy revert`")
                }
                guard line.delta == correction.takenBack, line.receivable == (try correction.receivable.negated()) else {
                    throw RemedyError(.tampered, "revert line for user \(line.userId) puts back \(line.delta.rupiah) and settles \((try line.receivable.negated()).rupiah), but the correction took \(correction.takenBack.rupiah) and left \(correction.receivable.rupiah) owed; make a new revert with `remedy revert`")
                }
            }
            start += batch.count
        }
    }
}

/// The approvals of a plan: the bundle's files and the database's rows, one per key.
struct PlanApprovals {
    let bundle: PlanBundle
    let connection: PostgresConnection

    func all() throws -> [ApprovalRecord] {
        var byKey: [PublicKeyText: ApprovalRecord] = [:]
        var ordered: [ApprovalRecord] = []
        let fromDatabase = try connection.query(RemedyStoreSQL.approvalsOfPlan, [bundle.digest]).map { row in
            ApprovalRecord(format: ApprovalRecord.currentFormat, planDigest: bundle.digest, name: try row.decode(0, as: String.self),
                           role: try row.decode(1, as: String.self), publicKey: try PublicKeyText(validating: try row.decode(2, as: String.self)),
                           signature: try row.decode(3, as: String.self), signedAt: try row.decode(4, as: String.self))
        }
        let files = try bundle.approvalFiles()
        // A file in a recorded approver's name that no recorded approval's key signed is that
        // approval altered (its key edited), not another approval to set aside: the database's
        // record alone would otherwise still make the quorum of a bundle someone tampered with.
        let recordedKeys = Set(fromDatabase.map(\.publicKey))
        for file in files where !recordedKeys.contains(file.publicKey) {
            if fromDatabase.contains(where: { $0.name == file.name }) {
                throw RemedyError(.tampered, "the approval file of \(file.name) in \(bundle.path)/approvals is signed with another key than \(file.name)'s approval recorded in the database: it was altered; restore the original file")
            }
        }
        for record in files + fromDatabase {
            if let known = byKey[record.publicKey] {
                // The same person's signature in two places must be the same statement.
                guard known.planDigest == record.planDigest else {
                    throw RemedyError(.tampered, "two approvals by \(record.name) disagree about the plan they sign; remove the stray file from \(bundle.path)/approvals")
                }
                // Every field, not just the signed ones: a bundle whose approval file was edited
                // (a name, a role, the signing time) is not what was approved and filed.
                guard known == record else {
                    throw RemedyError(.tampered, "the approval file of \(record.name) in \(bundle.path)/approvals differs from the approval recorded in the database: it was altered; restore the original file")
                }
                continue
            }
            byKey[record.publicKey] = record
            ordered.append(record)
        }
        return ordered
    }
}
