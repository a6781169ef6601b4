import Foundation
import Logging

/// A throwaway PostgreSQL cluster in a temporary directory, for tests and demos. Stop it when done; an
/// interrupt, process exit or the next start's sweep stops it otherwise.
public final class EphemeralCluster: @unchecked Sendable {
    public let port: Int
    public let socketDirectory: String
    public let dataDirectory: String
    /// The postmaster's pid (from postmaster.pid).
    public let postmasterPID: Int32
    /// The temporary directory holding data, socket and logs; removed by `stop()`.
    public let directoryPath: String

    let directory: ClusterDirectory
    let logger: Logger
    private let isStopped = Locked(false)

    init(directory: ClusterDirectory, port: Int, postmasterPID: Int32, logger: Logger) {
        self.directory = directory
        self.port = port
        self.postmasterPID = postmasterPID
        self.logger = logger
        socketDirectory = directory.socketDirectory
        dataDirectory = directory.dataDirectory
        directoryPath = directory.path
    }

    /// A key=value conninfo for `database` over the Unix socket, as the `postgres` superuser.
    public func connectionURL(database: String) -> String {
        "host=\(Self.conninfoValue(socketDirectory)) port=\(port) dbname=\(Self.conninfoValue(database)) user=postgres"
    }

    /// Stops the server (fast, then immediate) and removes the directory. Safe to call more than once.
    ///
    /// The whole stop holds the cluster's lock, and the cluster leaves the registry only when it
    /// is done: a second caller (an `atexit` hook racing a signal handler) waits for the first
    /// instead of letting the process exit halfway through removing the directory.
    public func stop() {
        isStopped.withLock { stopped in
            guard !stopped else { return }
            stopped = true
            if Postmaster.isAlive(postmasterPID), Postmaster.serves(postmasterPID, dataDirectory: dataDirectory) {
                if !Postmaster.stop(postmasterPID) {
                    logger.error("PostgreSQL (pid \(postmasterPID)) did not stop; leaving \(directory.path) for the next sweep")
                    return
                }
            }
            directory.remove()
            logger.debug("stopped PostgreSQL on port \(port) and removed \(directory.path)")
        }
        EphemeralClusterRegistry.unregister(self)
    }

    /// Quotes a conninfo value when it holds a space, quote or backslash.
    static func conninfoValue(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "'" || $0 == "\\" }) else { return value }
        return "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
