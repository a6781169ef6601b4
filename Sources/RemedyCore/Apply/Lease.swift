import Foundation
import Postgres

/// One runner per job: a row with an owner and an expiry. A lease left by a killed runner lapses
/// at its expiry, or at once when its holder is on this host and its process is gone.
public struct Lease {
    public let job: String
    public let owner: UUID
    public let seconds: Int
    let connection: PostgresConnection

    public static func acquire(job: String, seconds: Int, connection: PostgresConnection) throws -> Lease {
        let lease = Lease(job: job, owner: UUID(), seconds: seconds, connection: connection)
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(getpid())
        if try !connection.query(ApplySQL.acquireLease, [job, lease.owner, host, pid, seconds]).isEmpty { return lease }
        guard let holder = try connection.query(ApplySQL.leaseHolder, [job]).first else {
            return try acquire(job: job, seconds: seconds, connection: connection)  // released meanwhile
        }
        let holderOwner = try holder.decode(0, as: String.self)
        let holderHost = try holder.decode(1, as: String.self)
        let holderPid = try holder.decode(2, as: Int32.self)
        if holderHost == host, kill(holderPid, 0) != 0, errno == ESRCH {
            let taken = try connection.execute(ApplySQL.takeOverLease, [job, lease.owner, host, pid, seconds, holderOwner])
            if taken == 1 { return lease }
        }
        throw RemedyError(.leaseHeld, "job \(job) is being run by pid \(holderPid) on \(holderHost) since \(try holder.decode(3, as: String.self)) (lease until \(try holder.decode(4, as: String.self))); wait for it, or for the lease to expire if that run was killed")
    }

    /// Extends the lease; fails if another runner took it after it lapsed.
    public func renew() throws {
        guard try connection.execute(ApplySQL.renewLease, [job, owner, seconds]) == 1 else {
            throw RemedyError(.leaseHeld, "the lease on job \(job) was lost (it expired and another runner took it); stopping; run apply again")
        }
    }

    public func release() {
        _ = try? connection.execute(ApplySQL.releaseLease, [job, owner])
    }
}
