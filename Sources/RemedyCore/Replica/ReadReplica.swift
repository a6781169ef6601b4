import Postgres

/// A read replica (`--read-url`): a hot standby of the primary's cluster where the commands that
/// only read take their reads (plan's detect snapshot, check, `verify --read-only`, export). What
/// remedy writes (a plan's row and audit row) and what it must trust (the approvers) stay on the
/// primary; a line planned on a lagging replica is only stale, and apply, on the primary, rechecks
/// every line under the row lock and skips it.
public struct ReadReplica {
    public let connection: PostgresConnection
    /// `host:port/database` as libpq reached it; never the URL.
    public let server: String
    /// What matched the replica to the primary ("system identifier", "remedy's installation id"),
    /// or nil when nothing both sides let these roles read could tell: only `check`, which needs
    /// no remedy schema, goes on then, and says so.
    public let confirmedBy: String?

    /// Refuses a server that is not a hot standby, or one of another cluster or database than
    /// `primary`'s, or one whose remedy schema is not the primary's (not replayed yet).
    public static func confirm(_ replica: PostgresConnection, primary: PostgresConnection) throws -> ReadReplica {
        let server = replica.serverEndpoint
        guard try replica.query(ReplicaSQL.inRecovery)[0].decode(0, as: Bool.self) else {
            throw RemedyError(.wrongDatabase, "--read-url reaches \(server), which is not a read replica (pg_is_in_recovery() is false there): give a hot standby of --database-url's cluster, or leave --read-url out to read the primary")
        }
        let onPrimary = try ClusterFacts.read(primary)
        let onReplica = try ClusterFacts.read(replica)
        if let primaryCluster = onPrimary.systemIdentifier, let replicaCluster = onReplica.systemIdentifier, primaryCluster != replicaCluster {
            throw RemedyError(.wrongDatabase, "the read replica \(server) belongs to another cluster than --database-url (system identifier \(replicaCluster) there, \(primaryCluster) on the primary): give --read-url a standby of the primary's cluster")
        }
        guard onPrimary.databaseName == onReplica.databaseName else {
            throw RemedyError(.wrongDatabase, "--read-url reaches database \(onReplica.databaseName) on \(server), but --database-url's is \(onPrimary.databaseName): point --read-url at \(onPrimary.databaseName) on the standby")
        }
        if let primaryInstallation = onPrimary.installationId, let replicaInstallation = onReplica.installationId, primaryInstallation != replicaInstallation {
            throw RemedyError(.wrongDatabase, "remedy's installation on the read replica \(server) is \(replicaInstallation), on the primary \(primaryInstallation): it is not a replica of --database-url's database; give --read-url a standby of it")
        }
        guard onPrimary.schemaVersion == onReplica.schemaVersion else {
            throw RemedyError(.wrongDatabase, "remedy's schema is at version \(onReplica.schemaVersion) on the read replica \(server) and \(onPrimary.schemaVersion) on the primary: the replica is behind (or not the primary's); wait until it has replayed `remedy init`, or leave --read-url out")
        }
        let confirmedBy: String? = onPrimary.systemIdentifier != nil && onReplica.systemIdentifier != nil ? "system identifier"
            : onPrimary.installationId != nil && onReplica.installationId != nil ? "remedy's installation id" : nil
        return ReadReplica(connection: replica, server: server, confirmedBy: confirmedBy)
    }

    /// Where replay stood. Call inside the read transaction after its first statement (which takes
    /// the snapshot): the snapshot then shows no WAL beyond the position returned.
    public func position() throws -> ReadReplicaPosition {
        let row = try connection.query(ReplicaSQL.replayPosition)[0]
        guard let lsn = try row.decode(0, as: String?.self) else {
            throw RemedyError(.wrongDatabase, "the read replica \(server) reports no replay position (pg_last_wal_replay_lsn() is NULL): it is no longer a standby; leave --read-url out to read the primary")
        }
        return ReadReplicaPosition(server: server, replayLsn: lsn, lastReplayedCommitAt: try row.decode(1, as: String?.self))
    }

    /// A standby cancels a query whose snapshot still needs rows that replay must remove (after
    /// max_standby_streaming_delay): said in one line with what to change; other errors as they are.
    public static func explainingRecoveryConflict(_ error: Error, server: String) -> Error {
        guard let error = error as? PostgresError, error.sqlState == "40001", error.message.contains("conflict with recovery") else { return error }
        return RemedyError(.io, "the read replica \(server) cancelled the snapshot to replay the primary's changes (\(error.message)): set hot_standby_feedback = on or raise max_standby_streaming_delay there, or leave --read-url out to read the primary")
    }
}

/// What tells two servers' databases apart, as far as the role may read it.
private struct ClusterFacts {
    /// pg_control_system()'s, the same on a primary and its standbys; nil where the role may not read it.
    var systemIdentifier: String?
    var databaseName: String
    /// remedy's installation id (made by init, replicated with the database); nil before init.
    var installationId: String?
    /// remedy's schema version; 0 before init.
    var schemaVersion: Int

    static func read(_ connection: PostgresConnection) throws -> ClusterFacts {
        var facts = ClusterFacts(systemIdentifier: nil, databaseName: try connection.query(RemedyStoreSQL.databaseName)[0].decode(0, as: String.self),
                                 installationId: nil, schemaVersion: 0)
        if try connection.query(RemedyStoreSQL.canReadControlData)[0].decode(0, as: Bool.self) {
            facts.systemIdentifier = try connection.query(RemedyStoreSQL.systemIdentifier).first?.decode(0, as: String?.self)
        }
        if try connection.query(RemedySchemaSQL.schemaExists)[0].decode(0, as: Bool.self) {
            facts.schemaVersion = try connection.query(RemedySchemaSQL.currentVersion)[0].decode(0, as: Int.self)
            facts.installationId = try connection.query(RemedyStoreSQL.installation).first?.decode(0, as: String.self)
        }
        return facts
    }
}
