import Foundation
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

    /// `remedy lease break`: takes a job's lease from its runner, on the record (an audit row
    /// `lease.broken` by a trusted key, in the same transaction). An unexpired lease only with
    /// `force`: its holder may be alive, and breaking it stops that runner at its next batch. A batch
    /// already in flight ends first: the lease is taken and lapsed without waiting for it, but
    /// whoever takes the job next locks the row, and that waits for every batch in flight (a live
    /// runner on two connections leaves hardly a gap between its batches, so the break cannot wait
    /// for one). The row is then removed, unless a batch keeps it past the lock timeout: it stays,
    /// lapsed, for the next runner to take.
    public static func breakLease(job: String, key: SigningKey, force: Bool, connection: PostgresConnection) throws -> Broken {
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        let actor = try store.requireTrusted(key, as: "operator")
        let nobody = UUID()
        let broken: Broken
        do {
            broken = try connection.transaction {
                _ = try connection.execute(LeaseSQL.breakLockTimeout)
                guard let row = try connection.query(LeaseSQL.holder, [job]).first else {
                    throw RemedyError(.badInput, "there is no lease on job \(job): nothing to break (a run that ended released it)")
                }
                let broken = Broken(job: job, owner: try row.decode(0, as: String.self), host: try row.decode(1, as: String.self),
                                    pid: try row.decode(2, as: Int32.self), acquiredAt: try row.decode(3, as: String.self),
                                    expiresAt: try row.decode(4, as: String.self), wasExpired: try row.decode(6, as: Bool.self))
                guard broken.wasExpired || force else {
                    throw RemedyError(.leaseHeld, "the lease on job \(job) is unexpired: pid \(broken.pid) on \(broken.host) holds it since \(broken.acquiredAt), until \(broken.expiresAt); if that runner is alive, let it finish; if you are sure it is dead, pass --force (a live runner then stops at its next batch)")
                }
                guard try connection.execute(LeaseSQL.disown, [job, broken.owner, nobody]) == 1 else {
                    throw RemedyError(.leaseHeld, "the lease on job \(job) changed hands while it was being broken; run lease break again to see who holds it now")
                }
                try AuditLog(connection: connection).append([
                    try AuditEvent(action: "lease.broken", actor: actor.name, details: broken),
                ])
                return broken
            }
        } catch let error as PostgresError where error.sqlState == "55P03" {
            throw RemedyError(.leaseHeld, "the lease on job \(job) is held by a batch in flight; a live runner holds it: let it finish, or try again in a moment")
        }
        // The row goes once the runner's batches in flight have ended; one still running past the
        // lock timeout leaves it lapsed, which the next runner takes.
        _ = try? connection.transaction {
            _ = try connection.execute(LeaseSQL.breakLockTimeout)
            _ = try connection.execute(LeaseSQL.release, [job, nobody])
        }
        return broken
    }
}
