import Postgres

/// What approve and apply check of a plan's origin before anything else: it was recorded in this
/// database, with the very planner signature its bundle holds (PlanBundle's reader has checked that
/// signature signs the digest), by a key the trusted set still holds under the same name and role.
struct PlanAuthorship {
    let bundle: PlanBundle
    let connection: PostgresConnection

    /// The planner, trusted; or a refusal naming what does not hold.
    func requireTrusted(in trusted: RemedyStore.ApproverSet) throws -> Approver {
        let plan = bundle.plan
        guard let recorded = try connection.query(RemedyStoreSQL.plannerOfPlan, [bundle.digest]).first else {
            throw RemedyError(.tampered, "no plan with digest \(bundle.digest.prefix(16))… is recorded in this database: plan.json was changed, or the plan belongs to another database; make a new plan with `remedy plan`")
        }
        let signature = try PlannerSignature.load(bundle.path)
        guard try recorded.decode(0, as: String.self) == plan.planner.publicKey.base64,
              try recorded.decode(1, as: String.self) == signature.signature else {
            throw RemedyError(.tampered, "the planner's signature in \(bundle.path)/\(PlannerSignature.file) is not the one recorded with this plan; restore the original bundle")
        }
        guard let planner = trusted.trusted(plan.planner.publicKey), planner.name == plan.planner.name, planner.role == plan.planner.role else {
            throw RemedyError(.untrustedKey, "this plan was made by \(plan.planner.name) (\(plan.planner.publicKey)), whose key is not a trusted approver here under that name and role; make a new plan with a trusted key")
        }
        return planner
    }
}

extension PlanBundle {
    /// For `remedy show` with a database: the plan's planner, checked as approve and apply check it.
    public func trustedPlanner(on connection: PostgresConnection) throws -> Approver {
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        guard let trusted = try store.currentApproverSet() else {
            throw RemedyError(.notInitialized, "no trusted approvers are recorded; run `remedy init --approvers FILE`")
        }
        return try PlanAuthorship(bundle: self, connection: connection).requireTrusted(in: trusted)
    }
}
