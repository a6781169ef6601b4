import Postgres

extension Lease {
    public struct Broken: Sendable, Encodable {
        public let job: String
        public let owner: String
        public let host: String
        public let pid: Int32
        public let acquiredAt: String
        public let expiresAt: String
        public let wasExpired: Bool
    }

    /// `remedy lease break`: removes a job's lease, on the record (an audit row `lease.broken` by
    /// a trusted key, in the same transaction). An unexpired lease only with `force`: its holder
    /// may be alive, and breaking it stops that runner at its next batch (never inside one: a
    /// batch holds its lease row, and the break waits for that batch to end).
    public static func breakLease(job: String, key: SigningKey, force: Bool, connection: PostgresConnection) throws -> Broken {
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        let actor = try store.requireTrusted(key, as: "operator")
        do {
            return try connection.transaction {
                _ = try connection.execute(LeaseSQL.breakLockTimeout)
                guard let row = try connection.query(LeaseSQL.holderForUpdate, [job]).first else {
                    throw RemedyError(.badInput, "there is no lease on job \(job): nothing to break (a run that ended released it)")
                }
                let broken = Broken(job: job, owner: try row.decode(0, as: String.self), host: try row.decode(1, as: String.self),
                                    pid: try row.decode(2, as: Int32.self), acquiredAt: try row.decode(3, as: String.self),
                                    expiresAt: try row.decode(4, as: String.self), wasExpired: try row.decode(6, as: Bool.self))
                guard broken.wasExpired || force else {
                    throw RemedyError(.leaseHeld, "the lease on job \(job) is unexpired: pid \(broken.pid) on \(broken.host) holds it since \(broken.acquiredAt), until \(broken.expiresAt); if that runner is alive, let it finish; if you are sure it is dead, pass --force (a live runner then stops at its next batch)")
                }
                _ = try connection.execute(LeaseSQL.release, [job, broken.owner])
                try AuditLog(connection: connection).append([
                    try AuditEvent(action: "lease.broken", actor: actor.name, details: broken),
                ])
                return broken
            }
        } catch let error as PostgresError where error.sqlState == "55P03" {
            throw RemedyError(.leaseHeld, "the lease on job \(job) is held by a batch in flight; a live runner holds it: let it finish, or try again in a moment")
        }
    }
}
