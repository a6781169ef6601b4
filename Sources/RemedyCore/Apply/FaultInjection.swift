import Foundation

/// Crash points for the reliability tests: with `REMEDY_FAULT_KILL_AT=N`, the process kills
/// itself with SIGKILL at the N-th checkpoint of apply, exactly as a crash would, with no cleanup.
/// Unset (always, in production) it does nothing.
public struct FaultInjection: Sendable {
    public static let environmentVariable = "REMEDY_FAULT_KILL_AT"
    let killAt: Int?
    private let counter = Counter()

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        killAt = environment[FaultInjection.environmentVariable].flatMap(Int.init)
    }

    /// Marks a point of apply; `name` is printed to stderr when the process dies there.
    public func checkpoint(_ name: String) {
        guard let killAt else { return }
        if counter.next() == killAt {
            FileHandle.standardError.write(Data("remedy: fault injection: SIGKILL at checkpoint \(killAt) (\(name))\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
    }
}
