import Foundation
import Postgres

/// One runner per job: a row with an owner and an expiry. The runner holds it inside every
/// transaction that writes, and renews it there often enough, so a batch runs only under its own
/// lease and no one can take the job over in the middle of one. A lease left by a killed runner
/// lapses at its expiry, at once when its holder was in this very pid namespace and its process
/// is gone, or when a person breaks it (`remedy lease break`, audited).
public struct Lease {
    public let job: String
    public let owner: UUID
    public let seconds: Int
    let connection: PostgresConnection
    /// When a batch last renewed the lease, shared by the runner's connections.
    private let renewal: Renewal

    private init(job: String, owner: UUID, seconds: Int, connection: PostgresConnection, renewal: Renewal) {
        self.job = job
        self.owner = owner
        self.seconds = seconds
        self.connection = connection
        self.renewal = renewal
    }

    /// The same lease, held through another of the runner's connections.
    func on(_ other: PostgresConnection) -> Lease {
        Lease(job: job, owner: owner, seconds: seconds, connection: other, renewal: renewal)
    }

    public static func acquire(job: String, seconds: Int, connection: PostgresConnection) throws -> Lease {
        let lease = Lease(job: job, owner: UUID(), seconds: seconds, connection: connection, renewal: Renewal())
        let host = ProcessInfo.processInfo.hostName
        let pid = Int(getpid())
        let namespace = PidNamespace.current
        // Read before locking: a live runner's batches hold the row FOR KEY SHARE with hardly a gap
        // between them, so a lock FOR UPDATE would wait out its whole run. A lease nobody may take
        // now is refused (or taken over from a dead holder) at once.
        if let holder = try connection.query(LeaseSQL.holder, [job]).first, try !holder.decode(6, as: Bool.self) {
            return try takeOverOrRefuse(lease, holder: holder, host: host, pid: pid, namespace: namespace)
        }
        // Free or lapsed: locked, so that a batch still in flight under it ends first, and taken if
        // it still is either.
        let acquired = try connection.transaction {
            try connection.execute(LeaseSQL.lockForChange, [job])
            return try !connection.query(LeaseSQL.acquire, [job, lease.owner, host, pid, namespace, seconds]).isEmpty
        }
        if acquired { return lease }
        guard let holder = try connection.query(LeaseSQL.holder, [job]).first else {
            return try acquire(job: job, seconds: seconds, connection: connection)  // released meanwhile
        }
        return try takeOverOrRefuse(lease, holder: holder, host: host, pid: pid, namespace: namespace)
    }

    /// Another runner's unexpired lease: taken over when its holder is known dead, else refused.
    private static func takeOverOrRefuse(_ lease: Lease, holder: PostgresRow, host: String, pid: Int, namespace: String?) throws -> Lease {
        let (job, seconds, connection) = (lease.job, lease.seconds, lease.connection)
        let holderOwner = try holder.decode(0, as: String.self)
        let holderHost = try holder.decode(1, as: String.self)
        let holderPid = try holder.decode(2, as: Int32.self)
        // A pid means something only in the pid namespace it came from: the holder's and ours must
        // be the same one (a container with this host's name has its own pids).
        if let namespace, try holder.decode(5, as: String?.self) == namespace, holderHost == host, kill(holderPid, 0) != 0, errno == ESRCH {
            let taken = try connection.transaction {
                try connection.execute(LeaseSQL.lockForChange, [job])
                return try connection.execute(LeaseSQL.takeOver, [job, lease.owner, host, pid, namespace, seconds, holderOwner])
            }
            if taken == 1 { return lease }
        }
        throw RemedyError(.leaseHeld, "job \(job) is being run by pid \(holderPid) on \(holderHost) since \(try holder.decode(3, as: String.self)) (lease until \(try holder.decode(4, as: String.self))); wait for it; if that run is dead, wait for the lease to expire or break it with `remedy lease break \(job) --key KEY --force`")
    }

    /// Inside a writing transaction: refuses unless the lease is still this runner's (nobody took
    /// it after it lapsed, nobody broke it), renews it, and keeps it so until the transaction ends.
    /// A refusal rolls the transaction back. Every transaction of apply that writes starts with it
    /// but its batches, which send `batchHoldStatement` with their locks.
    public func hold() throws {
        precondition(connection.isInTransaction, "the lease is held inside the transaction that writes")
        renewal.renewed()
        try requireHeld(try connection.query(LeaseSQL.renewAndHold, [job, owner, seconds]))
    }

    /// For apply's batches, as one statement of their pipeline (its answer goes to `requireHeld`):
    /// the lease held FOR KEY SHARE, so that the runner's batches on other connections run beside
    /// this one; renewed as well by one batch in every quarter of the lease, so that the lease
    /// outlives any three renewals that roll back.
    var batchHoldStatement: PostgresStatement {
        renewal.claimIfDue(everySeconds: Double(seconds) / 4)
            ? PostgresStatement(LeaseSQL.renewAndHold, [job, owner, seconds])
            : PostgresStatement(LeaseSQL.holdShared, [job, owner])
    }

    func requireHeld(_ renewed: [PostgresRow]) throws {
        guard renewed.count == 1 else {
            throw RemedyError(.leaseHeld, "the lease on job \(job) was lost (it expired and another runner took it, or someone broke it); the transaction in flight was rolled back; run apply again")
        }
    }

    public func release() {
        _ = try? connection.execute(LeaseSQL.release, [job, owner])
    }

    /// When the lease was last renewed, by this process's clock (monotonic).
    private final class Renewal: @unchecked Sendable {
        private let lock = NSLock()
        private var last = DispatchTime.now()

        func renewed() {
            lock.lock(); defer { lock.unlock() }
            last = .now()
        }

        /// True for the one caller that finds a renewal due, which renews.
        func claimIfDue(everySeconds: Double) -> Bool {
            lock.lock(); defer { lock.unlock() }
            let now = DispatchTime.now()
            guard Double(now.uptimeNanoseconds - last.uptimeNanoseconds) >= everySeconds * 1e9 else { return false }
            last = now
            return true
        }
    }
}
