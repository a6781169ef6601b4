import Postgres

/// `remedy approve`: checks the plan is the one recorded here and still valid, then signs it and
/// stores the detached signature in the bundle and the database, with its audit row.
public struct PlanSignOff {
    public let bundle: PlanBundle
    public let connection: PostgresConnection

    public init(bundle: PlanBundle, connection: PostgresConnection) {
        self.bundle = bundle
        self.connection = connection
    }

    public func approve(with key: SigningKey) throws -> (record: ApprovalRecord, file: String) {
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        // The database first: a plan taken to another database is refused naming both.
        let identity = try store.identity()
        guard identity == bundle.plan.database else {
            throw RemedyError(.wrongDatabase, "this plan was made on \(bundle.plan.database), but this is \(identity)")
        }
        guard try !connection.query(RemedyStoreSQL.planExists, [bundle.digest]).isEmpty else {
            throw RemedyError(.tampered, "no plan with digest \(bundle.digest.prefix(16))… is recorded in this database: plan.json was changed, or it belongs to another database")
        }
        let approver = try store.requireTrusted(key, as: "approver")
        guard approver.publicKey != bundle.plan.planner.publicKey, approver.name != bundle.plan.planner.name else {
            throw RemedyError(.quorum, "\(approver.name) made this plan and cannot also approve it; another person must sign")
        }
        let now = try connection.query(ApplySQL.now)[0].decode(0, as: String.self)
        guard try Timestamp(iso8601: now) < Timestamp(iso8601: bundle.plan.expiresAt) else {
            throw RemedyError(.expired, "this plan expired at \(bundle.plan.expiresAt); make a new plan")
        }
        // One person, one approval, whichever of their keys signs: apply's quorum refuses a person
        // counted twice, and an approval once recorded cannot be withdrawn.
        if let earlier = try PlanApprovals(bundle: bundle, connection: connection).all()
            .first(where: { $0.publicKey == approver.publicKey || $0.name == approver.name }) {
            throw RemedyError(.quorum, earlier.publicKey == approver.publicKey
                ? "\(approver.name) has already approved this plan"
                : "\(approver.name) has already approved this plan (as \(earlier.role), with another key); each person approves once")
        }
        let record = try ApprovalRecord.sign(bundle, with: key, at: now)
        struct Approved: Encodable { let name: String; let role: String; let publicKey: String; let signature: String }
        let file = try bundle.writeApproval(record)
        try connection.transaction {
            try connection.execute(RemedyStoreSQL.insertApproval, [bundle.digest, record.publicKey.base64, record.name, record.role, record.signature, record.signedAt])
            try AuditLog(connection: connection).append([
                try AuditEvent(action: "plan.approved", actor: approver.name, planDigest: bundle.digest,
                               details: Approved(name: approver.name, role: approver.role, publicKey: approver.publicKey.base64, signature: record.signature)),
            ])
        }
        return (record, file)
    }
}
