/// What remedy asks a read replica (`--read-url`) and the primary to tell whether the replica is a
/// hot standby of the primary's cluster, and how far its replay had come.
enum ReplicaSQL {
    /// True on a standby (a server replaying WAL); false on a primary or a promoted standby.
    static let inRecovery = "SELECT pg_is_in_recovery()"

    /// Where replay stood and when the last transaction it replayed committed on the primary (NULL
    /// before the first). Read after the transaction's snapshot was taken (its first statement), so
    /// the snapshot shows no WAL beyond this position.
    static let replayPosition = #"""
    SELECT pg_last_wal_replay_lsn()::text,
           to_char(pg_last_xact_replay_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    """#
}
