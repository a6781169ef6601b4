/// The job lease's statements (see Lease): one runner per job, by a row with an owner and an
/// expiry, checked inside every transaction that writes.
enum LeaseSQL {
    /// Before taking or taking over a lease: the row locked FOR UPDATE, which waits for every batch
    /// in flight (each holds the row FOR KEY SHARE until it ends). The upsert below would not wait:
    /// an UPDATE that leaves the key alone conflicts only with FOR SHARE and stronger.
    static let lockForChange = "SELECT 1 FROM remedy.leases WHERE job = $1 FOR UPDATE"

    /// Take the job's lease if it is free, expired, or held by this same owner (after
    /// lockForChange, in the same transaction).
    static let acquire = #"""
    INSERT INTO remedy.leases AS l (job, owner, host, pid, pid_namespace, acquired_at, expires_at)
    VALUES ($1, $2::uuid, $3, $4, $5, now(), now() + make_interval(secs => $6::double precision))
    ON CONFLICT (job) DO UPDATE
       SET owner = EXCLUDED.owner, host = EXCLUDED.host, pid = EXCLUDED.pid, pid_namespace = EXCLUDED.pid_namespace,
           acquired_at = EXCLUDED.acquired_at, expires_at = EXCLUDED.expires_at
     WHERE l.expires_at < now() OR l.owner = EXCLUDED.owner
    RETURNING owner::text
    """#

    static let holder = #"""
    SELECT owner::text, host, pid, to_char(acquired_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), pid_namespace, expires_at < now()
      FROM remedy.leases WHERE job = $1
    """#

    /// Taking over a lease whose holder is known dead (same pid namespace, process gone); after
    /// lockForChange, in the same transaction.
    static let takeOver = #"""
    UPDATE remedy.leases
       SET owner = $2::uuid, host = $3, pid = $4, pid_namespace = $5, acquired_at = now(),
           expires_at = now() + make_interval(secs => $6::double precision)
     WHERE job = $1 AND owner = $7::uuid
    """#

    /// Inside a writing transaction: the lease is still this runner's, renewed from the
    /// transaction's start, and stays so until the transaction ends (nobody can take over or break
    /// a row this transaction updated). A lease that lapsed but nobody took is this runner's still.
    static let renewAndHold = "UPDATE remedy.leases SET expires_at = now() + make_interval(secs => $3::double precision) WHERE job = $1 AND owner = $2::uuid RETURNING job"

    /// The same check without renewing, for apply's batches: FOR KEY SHARE keeps anyone from taking
    /// the job over until the batch ends (taking and taking over lock the row FOR UPDATE and wait;
    /// so does deleting it), yet lets the runner's other batches, and renewAndHold, run beside it.
    /// Batches that all renewed would queue behind one another on the row. A break (`disown`)
    /// does not wait: the runner stops at its next batch.
    static let holdShared = "SELECT job FROM remedy.leases WHERE job = $1 AND owner = $2::uuid FOR KEY SHARE"

    static let release = "DELETE FROM remedy.leases WHERE job = $1 AND owner = $2::uuid"

    /// `lease break`: the lease taken from its runner ($2) and lapsed, without waiting for the
    /// runner's batches in flight (an UPDATE that leaves the key alone does not conflict with FOR
    /// KEY SHARE). Its batches find it no longer theirs from their next one on; whoever takes the
    /// lease next locks the row FOR UPDATE, and so waits for the batches still in flight. $3: an
    /// owner nobody holds.
    static let disown = "UPDATE remedy.leases SET owner = $3::uuid, expires_at = now() WHERE job = $1 AND owner = $2::uuid"

    static let breakLockTimeout = "SET LOCAL lock_timeout = '10s'"
}
