import Dispatch
import Foundation

/// Every live cluster of this process, so an interrupt or process exit can stop them all.
public enum EphemeralClusterRegistry {
    private struct State {
        var clusters: [ObjectIdentifier: EphemeralCluster] = [:]
        var isExitHookInstalled = false
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
                    stopAll()
                    exit(exitStatus)
                }
                source.resume()
                state.signalSources.append(source)
            }
        }
    }

    /// Stops every live cluster (also run at process exit).
    public static func stopAll() {
        let clusters = state.withLock { Array($0.clusters.values) }
        for cluster in clusters {
            cluster.stop()
        }
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
