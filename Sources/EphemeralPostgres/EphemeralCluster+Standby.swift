import Foundation
import Logging

extension EphemeralCluster {
    static let baseBackupTimeoutSeconds = 120

    /// Whether this machine's server binaries include pg_basebackup (a standby needs it).
    public static var canStartStandby: Bool {
        (try? PostgresBinaries.locate())?.pgBasebackup != nil
    }

    /// A hot standby of this cluster: a second throwaway cluster copied by `pg_basebackup -R -X stream`
    /// (which writes standby.signal and primary_conninfo), started on a port of its own and streaming
    /// from this one over its Unix socket. Read-only; stopped, swept and removed like any cluster.
    ///
    /// This cluster must allow replication: wal_level `replica` (the default since PostgreSQL 10) and
    /// max_wal_senders above zero (the default, 10); initdb's trust pg_hba.conf already has
    /// `local replication all trust`. Start it with those settings if it was given others.
    public func startStandby(logger: Logger? = nil) throws -> EphemeralCluster {
        let logger = logger ?? self.logger
        let clock = ContinuousClock()
        let began = clock.now
        let binaries = try PostgresBinaries.locate()
        guard let pgBasebackup = binaries.pgBasebackup else {
            throw EphemeralPostgresError("pg_basebackup is not beside pg_ctl in \(binaries.directory); install the PostgreSQL programs of the same version there")
        }
        let user = try ServerUser.current()
        let directory = try ClusterDirectory.create(for: user)
        EphemeralClusterRegistry.registerStarting(directory)
        defer { EphemeralClusterRegistry.unregisterStarting(directory) }
        do {
            // Into the empty data directory (mode 0700, owned by the server's user); -c fast starts
            // at once instead of waiting for the next checkpoint.
            let command = user.commandPrefix + [
                pgBasebackup, "-D", directory.dataDirectory, "-R", "-X", "stream", "-c", "fast", "--no-sync",
                "-d", "host=\(Self.conninfoValue(socketDirectory)) port=\(port) user=postgres",
            ]
            let status = try ChildProcess.run(command, logPath: directory.setupLog, workingDirectory: directory.path, timeoutSeconds: Self.baseBackupTimeoutSeconds)
            guard status == 0 else {
                throw EphemeralPostgresError("pg_basebackup failed (exit \(status)); \(directory.setupLog): \(LogTail.lastLines(of: directory.setupLog))")
            }
            // pg_ctl -w returns once the standby accepts read-only connections (consistent state reached).
            let (port, pid) = try Self.startServer(directory, binaries: binaries, user: user, logger: logger)
            let standby = EphemeralCluster(directory: directory, port: port, postmasterPID: pid, logger: logger)
            EphemeralClusterRegistry.register(standby)
            logger.info("started a PostgreSQL standby", metadata: [
                "port": "\(port)", "primary_port": "\(self.port)", "directory": "\(directory.path)", "elapsed": "\(clock.now - began)",
            ])
            return standby
        } catch {
            if let pid = Postmaster.pid(dataDirectory: directory.dataDirectory), Postmaster.serves(pid, dataDirectory: directory.dataDirectory) {
                Postmaster.stop(pid)
            }
            directory.remove()
            throw error
        }
    }
}
