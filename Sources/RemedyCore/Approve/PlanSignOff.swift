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
        guard let trusted = try store.currentApproverSet() else {
            throw RemedyError(.notInitialized, "no trusted approvers are recorded; run `remedy init --approvers FILE`")
        }
        _ = try PlanAuthorship(bundle: bundle, connection: connection).requireTrusted(in: trusted)
        let approver = try store.requireTrusted(key, as: "approver")
        let now = try connection.query(ApplySQL.now)[0].decode(0, as: String.self)
        guard try Timestamp(iso8601: now) < Timestamp(iso8601: bundle.plan.expiresAt) else {
            throw RemedyError(.expired, "this plan expired at \(bundle.plan.expiresAt); make a new plan")
        }
        // The rules apply counts by, applied before signing: the planner does not approve, and a
        // person approves once whichever key signs (an approval once recorded cannot be withdrawn).
        let counted = Quorum(roles: []).tally(try PlanApprovals(bundle: bundle, connection: connection).all(), trusted: trusted,
                                              isValid: { $0.isValid(for: bundle) }, invalid: { _ in "" }, excluded: { _, _ in nil })
        if let reason = Quorum.reasonNotCounted(approver, planner: bundle.plan.planner, counted: counted.approvers) {
            throw RemedyError(.quorum, reason)
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
