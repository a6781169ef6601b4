import Foundation
import Logging

extension EphemeralCluster {
    /// Ports tried before giving up when another process takes the chosen one first.
    static let maximumPortAttempts = 5
    /// A throwaway cluster need not survive a crash. In postgresql.conf rather than on the command
    /// line, so extraSettings and ALTER SYSTEM can turn them back on (the benchmark's durable apply).
    static let throwawayDurability = ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
    static let initdbTimeoutSeconds = 120
    /// pg_ctl's own wait (-t); ours is a little longer.
    static let serverStartTimeoutSeconds = 30

    /// Sweeps clusters left by dead processes, then creates and starts a new one (initdb + pg_ctl start) in
    /// `/tmp/remedy-pg/<random>/`, listening on 127.0.0.1 and a Unix socket, with `trust` authentication.
    ///
    /// The server binaries are taken from the directory in `REMEDY_PG_BIN` if set (it must hold initdb and
    /// pg_ctl), else from PATH, else the highest version in `/usr/lib/postgresql/*/bin`,
    /// `/usr/local/opt/postgresql*/bin` or `/opt/homebrew/opt/postgresql*/bin`. As root, initdb and pg_ctl
    /// run as the `postgres` OS user through runuser. Needs PostgreSQL 13 or later (DROP DATABASE … FORCE).
    ///
    /// `extraSettings` are server settings as `name=value` (e.g. `shared_buffers=4GB`), appended to the new
    /// cluster's postgresql.conf before it starts; a later one wins over an earlier one and over the defaults.
    public static func start(logger: Logger, extraSettings: [String] = []) throws -> EphemeralCluster {
        let clock = ContinuousClock()
        let began = clock.now
        let settings = try (throwawayDurability + extraSettings).map(ServerSetting.init(parsing:))
        StaleClusterSweeper.sweep(logger: logger)
        let binaries = try PostgresBinaries.locate()
        let user = try ServerUser.current()
        let directory = try ClusterDirectory.create(for: user)
        EphemeralClusterRegistry.registerStarting(directory)
        defer { EphemeralClusterRegistry.unregisterStarting(directory) }
        do {
            try initialize(directory, binaries: binaries, user: user)
            try ServerSetting.append(settings, toConfigurationIn: directory)
            let (port, pid) = try startServer(directory, binaries: binaries, user: user, logger: logger)
            let cluster = EphemeralCluster(directory: directory, port: port, postmasterPID: pid, logger: logger)
            EphemeralClusterRegistry.register(cluster)
            logger.info("started PostgreSQL", metadata: [
                "port": "\(port)", "directory": "\(directory.path)", "bin": "\(binaries.directory)",
                "elapsed": "\(clock.now - began)",
            ])
            return cluster
        } catch {
            if let pid = Postmaster.pid(dataDirectory: directory.dataDirectory), Postmaster.serves(pid, dataDirectory: directory.dataDirectory) {
                Postmaster.stop(pid)
            }
            directory.remove()
            throw error
        }
    }

    private static func initialize(_ directory: ClusterDirectory, binaries: PostgresBinaries, user: ServerUser) throws {
        let command = user.commandPrefix + [
            binaries.initdb, "-D", directory.dataDirectory, "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
        ]
        let status = try ChildProcess.run(command, logPath: directory.setupLog, workingDirectory: directory.path, timeoutSeconds: initdbTimeoutSeconds)
        guard status == 0 else {
            throw EphemeralPostgresError("initdb failed (exit \(status)); \(directory.setupLog): \(LogTail.lastLines(of: directory.setupLog))")
        }
    }

    /// pg_ctl start on a free port; another port if the chosen one was taken meanwhile.
    static func startServer(_ directory: ClusterDirectory, binaries: PostgresBinaries, user: ServerUser, logger: Logger) throws -> (port: Int, pid: Int32) {
        for attempt in 1...maximumPortAttempts {
            let port = try FreePort.pick()
            // pg_ctl passes -o through a shell; our paths hold only [a-z0-9/-], so no quoting is needed.
            let serverOptions = [
                "-c listen_addresses=127.0.0.1",
                "-k \(directory.socketDirectory)", "-p \(port)",
            ].joined(separator: " ")
            let command = user.commandPrefix + [
                binaries.pgCtl, "-D", directory.dataDirectory, "-l", directory.serverLog,
                "-w", "-t", "\(serverStartTimeoutSeconds)", "-o", serverOptions, "start",
            ]
            let status = try ChildProcess.run(command, logPath: directory.setupLog, workingDirectory: directory.path, timeoutSeconds: serverStartTimeoutSeconds + 15)
            if status == 0, let pid = Postmaster.pid(dataDirectory: directory.dataDirectory) {
                return (port, pid)
            }
            let serverLog = LogTail.lastLines(of: directory.serverLog)
            let portTaken = serverLog.contains("could not bind") || serverLog.contains("Address already in use")
            guard portTaken, attempt < maximumPortAttempts else {
                throw EphemeralPostgresError("pg_ctl start failed (exit \(status)); \(directory.serverLog): \(serverLog); \(directory.setupLog): \(LogTail.lastLines(of: directory.setupLog, count: 3))")
            }
            logger.notice("port \(port) was taken before PostgreSQL could bind it; trying another (attempt \(attempt))")
        }
        throw EphemeralPostgresError("pg_ctl start failed: no free port after \(maximumPortAttempts) attempts")
    }
}
