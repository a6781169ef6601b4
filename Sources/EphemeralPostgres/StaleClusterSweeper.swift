import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Crash cleanup: a process that died without stopping its clusters left them running. At each start, every
/// cluster directory whose owner process is gone has its postmaster stopped and the directory removed.
enum StaleClusterSweeper {
    /// Directories looked at per sweep (a bound, not an expectation).
    static let maximumDirectories = 1_000

    static func sweep(root: String = ClusterDirectory.rootPath, logger: Logger) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).prefix(maximumDirectories)
        for name in names {
            let directory = ClusterDirectory(path: root + "/" + name)
            // No owner file yet: a cluster being created right now; leave it.
            guard let owner = directory.ownerPID(), owner != getpid(), !Postmaster.isAlive(owner) else { continue }
            if let postmaster = Postmaster.pid(dataDirectory: directory.dataDirectory),
               Postmaster.isAlive(postmaster), Postmaster.serves(postmaster, dataDirectory: directory.dataDirectory) {
                // The owner is gone, so nobody needs the data: immediate shutdown is enough.
                Postmaster.stop(postmaster, fastShutdownSeconds: 0.5, immediateShutdownSeconds: 3)
            }
            guard directory.remove() else { continue }
            logger.notice("removed a stale PostgreSQL cluster left by dead process \(owner)", metadata: ["directory": "\(directory.path)"])
        }
    }
}
