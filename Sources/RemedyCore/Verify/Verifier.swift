import Postgres
import Rupiah

/// Verify: for every user line of the plan (applied by any run, or not at all), the excess now
/// against what applying the line leaves: `excess + delta − receivable`. For a correction that is
/// zero (`balance = ledger + open receivables`); for a revert, the excess it put back. Anything
/// else is a residual a person must see.
public struct Verifier {
    public let spec: JobSpec
    /// Read with `PlanBundle.readStreaming`: the lines are decoded a batch at a time, at any plan size.
    public let streamed: StreamedPlanBundle
    public var bundle: PlanBundle { streamed.bundle }
    public let connection: PostgresConnection
    /// Lines rechecked per query.
    static let batchLines = 1_000

    public init(spec: JobSpec, streamed: StreamedPlanBundle, connection: PostgresConnection) {
        self.spec = spec
        self.streamed = streamed
        self.connection = connection
    }

    public struct Residual: Codable, Sendable, Equatable {
        public let userId: String
        public let balance: Money
        public let excess: Money
        /// What the plan's line leaves: zero for a correction.
        public let expectedExcess: Money
    }

    public struct Result: Codable, Sendable {
        public let usersChecked: Int
        public let residuals: [Residual]
        /// The audit chain's head: after the `verify.finished` row this verify wrote, or as read
        /// (`readOnly`).
        public let auditHead: String
        /// True when nothing was written (`verify --read-only`): no audit row records this verify.
        public var readOnly = false
        /// Where it read when given a read replica (`verify --read-only --read-url`).
        public var readReplica: ReadReplicaPosition?
        public var isClean: Bool { residuals.isEmpty }
    }

    /// Recomputes every line's excess and records the outcome in the audit log (`verify.finished`).
    public func verify(actor: String) throws -> Result {
        let (checked, residuals) = try recheck { _ in }
        struct Verified: Encodable { let usersChecked: Int; let residuals: [Residual] }
        let head = try connection.transaction {
            try AuditLog(connection: connection).append([
                try AuditEvent(action: "verify.finished", actor: actor, planDigest: bundle.digest,
                               details: Verified(usersChecked: checked, residuals: residuals)),
            ])
        }
        return Result(usersChecked: checked, residuals: residuals, auditHead: head)
    }

    /// The same recheck, writing nothing (`remedy verify --read-only`): on `connection`, or on the
    /// read replica when one is given, whose replay position the result records. The audit head is
    /// the chain's head as read in the same snapshot.
    public func verifyReadOnly(replica: ReadReplica? = nil) throws -> Result {
        var head = ""
        var position: ReadReplicaPosition?
        let verifier = Verifier(spec: spec, streamed: streamed, connection: replica?.connection ?? connection)
        do {
            let (checked, residuals) = try verifier.recheck { reader in
                head = try AuditLog(connection: reader).currentHead().hash
                position = try replica?.position()
            }
            var result = Result(usersChecked: checked, residuals: residuals, auditHead: head, readOnly: true)
            result.readReplica = position
            return result
        } catch {
            throw replica.map { ReadReplica.explainingRecoveryConflict(error, server: $0.server) } ?? error
        }
    }

    /// Every line's excess now against what the line leaves, in one read-only snapshot; `alsoRead`
    /// runs in it after the lines.
    private func recheck(alsoRead: (PostgresConnection) throws -> Void) throws -> (checked: Int, residuals: [Residual]) {
        try RemedyStore(connection: connection).requireInitialized()
        var residuals: [Residual] = []
        var checked = 0
        do {
            try connection.transaction(TransactionOptions(isolation: .repeatableRead, readOnly: true)) {
                try ReadSnapshot.configure(spec, on: connection)
                // The recheck subtracts every open receivable: a forged one could hide a residual.
                try BookSignature.requireSigned(on: connection)
                let catalog = try ShopCatalog.inspect(spec, on: connection)
                let template = try SQLTemplate.bindings(for: spec, parameters: JobParameters(values: [:]), userIdType: catalog.userIdType, zonelessTimes: catalog.zonelessTimes)
                // A user has one line in a plan (the reader refuses another), so each batch stands alone.
                try streamed.adjustments.forEachBatch(of: Verifier.batchLines) { batch in
                    var expected: [String: Money] = [:]
                    for line in batch {
                        expected[line.userId] = try line.excess.adding(line.delta).subtracting(line.receivable)
                    }
                    let chunk = expected.keys.sorted()
                    let recheck = try template.with(["user_ids": PostgresArray(chunk)]).render(spec.sql["recheck"]!, file: "\(spec.directory)/recheck.sql")
                    var seen = Set<String>()
                    for row in try connection.query(recheck.sql, recheck.parameters) {
                        let userId = try row.decode(0, as: String.self)
                        let balance = try row.decode(1, as: Money.self)
                        let excess = try balance.subtracting(try row.decode(2, as: Money.self)).subtracting(try row.decode(3, as: Money.self))
                        guard let left = expected[userId], seen.insert(userId).inserted else { continue }
                        if excess != left { residuals.append(Residual(userId: userId, balance: balance, excess: excess, expectedExcess: left)) }
                    }
                    checked += seen.count
                }
                try alsoRead(connection)
            }
        } catch {
            throw ReadSnapshot.explainingTimeout(error, spec: spec, step: "verify's recheck of a batch")
        }
        return (checked, residuals)
    }
}
