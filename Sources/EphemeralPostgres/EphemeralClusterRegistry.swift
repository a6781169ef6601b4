import Dispatch
import Foundation

/// Every live cluster of this process, so an interrupt or process exit can stop them all.
public enum EphemeralClusterRegistry {
    private struct State {
        var clusters: [ObjectIdentifier: EphemeralCluster] = [:]
        /// Directories of clusters still starting (initdb, pg_ctl): an interrupt removes them too.
        var starting: [String: ClusterDirectory] = [:]
        /// Process groups of setup commands running now (initdb, pg_ctl).
        var children: Set<pid_t> = []
        var isExitHookInstalled = false
        var isInterrupted = false
        var signalSources: [any DispatchSourceSignal] = []
    }

    private static let state = Locked(State())

    /// Exit statuses by signal: 128 + the signal number, as shells report them.
    private static let interruptSignals: [(signal: Int32, exitStatus: Int32)] = [(SIGINT, 130), (SIGTERM, 143), (SIGHUP, 129)]

    /// On SIGINT, SIGTERM or SIGHUP: stop every live cluster, remove their directories, exit 130, 143 or 129.
    /// Call once early (e.g. from `main`); later calls do nothing.
    public static func installInterruptHandlers() {
        state.withLock { state in
            guard state.signalSources.isEmpty else { return }
            for (signalNumber, exitStatus) in interruptSignals {
                // Ignored first, so the default action (dying without cleanup) cannot win the race.
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler {
                    EphemeralClusterRegistry.state.withLock { $0.isInterrupted = true }
                    stopAll()
                    exit(exitStatus)
                }
                source.resume()
                state.signalSources.append(source)
            }
        }
    }

    /// True once an interrupt began stopping the clusters: errors that follow (a query cut off by
    /// the server stopping) are its consequence, not failures to report.
    public static var isInterrupted: Bool { state.withLock { $0.isInterrupted } }

    /// Stops every live cluster (also run at process exit).
    public static func stopAll() {
        let (clusters, starting, children) = state.withLock { (Array($0.clusters.values), Array($0.starting.values), $0.children) }
        // A setup command still running would write into a directory as it is removed.
        for child in children { kill(-child, SIGKILL) }
        for cluster in clusters {
            cluster.stop()
        }
        for directory in starting {
            if let pid = Postmaster.pid(dataDirectory: directory.dataDirectory), Postmaster.serves(pid, dataDirectory: directory.dataDirectory) {
                Postmaster.stop(pid)
            }
            directory.remove()
            // initdb may still be writing into it for a moment; remove what it wrote since.
            usleep(200_000)
            directory.remove()
        }
    }

    static func registerChild(_ pid: pid_t) {
        _ = state.withLock { $0.children.insert(pid) }
    }

    static func unregisterChild(_ pid: pid_t) {
        _ = state.withLock { $0.children.remove(pid) }
    }

    static func registerStarting(_ directory: ClusterDirectory) {
        state.withLock { $0.starting[directory.path] = directory }
    }

    static func unregisterStarting(_ directory: ClusterDirectory) {
        _ = state.withLock { $0.starting.removeValue(forKey: directory.path) }
    }

    static func register(_ cluster: EphemeralCluster) {
        let installExitHook = state.withLock { state in
            state.clusters[ObjectIdentifier(cluster)] = cluster
            defer { state.isExitHookInstalled = true }
            return !state.isExitHookInstalled
        }
        if installExitHook {
            atexit { EphemeralClusterRegistry.stopAll() }
        }
    }

    static func unregister(_ cluster: EphemeralCluster) {
        _ = state.withLock { $0.clusters.removeValue(forKey: ObjectIdentifier(cluster)) }
    }
}
