import Foundation
import Postgres

/// One runner per job: a row with an owner and an expiry. The runner renews and holds it inside
/// every transaction that writes, so a batch runs only under its own lease and no one can take
/// the job over in the middle of one. A lease left by a killed runner lapses at its expiry, at
/// once when its holder was in this very pid namespace and its process is gone, or when a person
/// breaks it (`remedy lease break`, audited).
public struct Lease {
    public let job: String
    public let owner: UUID
    public let seconds: Int
    let connection: PostgresConnection

    public static func acquire(job: String, seconds: Int, connection: PostgresConnection) throws -> Lease {
        let lease = Lease(job: job, owner: UUID(), seconds: seconds, connection: connection)
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(getpid())
        let namespace = PidNamespace.current
        if try !connection.query(LeaseSQL.acquire, [job, lease.owner, host, pid, namespace, seconds]).isEmpty { return lease }
        guard let holder = try connection.query(LeaseSQL.holder, [job]).first else {
            return try acquire(job: job, seconds: seconds, connection: connection)  // released meanwhile
        }
        let holderOwner = try holder.decode(0, as: String.self)
        let holderHost = try holder.decode(1, as: String.self)
        let holderPid = try holder.decode(2, as: Int32.self)
        // A pid means something only in the pid namespace it came from: the holder's and ours must
        // be the same one (a container with this host's name has its own pids).
        if let namespace, try holder.decode(5, as: String?.self) == namespace, holderHost == host, kill(holderPid, 0) != 0, errno == ESRCH {
            let taken = try connection.execute(LeaseSQL.takeOver, [job, lease.owner, host, pid, namespace, seconds, holderOwner])
            if taken == 1 { return lease }
        }
        throw RemedyError(.leaseHeld, "job \(job) is being run by pid \(holderPid) on \(holderHost) since \(try holder.decode(3, as: String.self)) (lease until \(try holder.decode(4, as: String.self))); wait for it; if that run is dead, wait for the lease to expire or break it with `remedy lease break \(job) --key KEY --force`")
    }

    /// Inside a writing transaction: refuses unless the lease is still this runner's (nobody took
    /// it after it lapsed, nobody broke it), renews it, and keeps it so until the transaction ends.
    /// A refusal rolls the transaction back. Every transaction that writes starts with it, so a
    /// runner renews as often as it writes, in the same round trip.
    public func hold() throws {
        precondition(connection.isInTransaction, "the lease is held inside the transaction that writes")
        try requireHeld(try connection.query(holdStatement.sql, holdStatement.parameters))
    }

    /// `hold()` as one statement of a pipeline (apply's batch sends it with its locks); its answer
    /// goes to `requireHeld`.
    var holdStatement: PostgresStatement { PostgresStatement(LeaseSQL.renewAndHold, [job, owner, seconds]) }

    func requireHeld(_ renewed: [PostgresRow]) throws {
        guard renewed.count == 1 else {
            throw RemedyError(.leaseHeld, "the lease on job \(job) was lost (it expired and another runner took it, or someone broke it); the transaction in flight was rolled back; run apply again")
        }
    }

    public func release() {
        _ = try? connection.execute(LeaseSQL.release, [job, owner])
    }
}
