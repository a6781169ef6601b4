import Foundation

/// A person's request to stop an apply run early (Ctrl-C, SIGTERM), taken between batches: no
/// batch is claimed after it, the batches already claimed (at most a window, usually the one in
/// the database and the one prepared beside it) run and commit as they would, and the run ends as
/// it ends after its last batch, with its report and audit rows, recorded as interrupted. What
/// was not reached is applied by running the same apply again. Asked for from a signal handler's
/// queue; apply checks it once before it writes anything, and its batch queue closes when asked.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var actions: [@Sendable () -> Void] = []

    public init() {}

    /// Asks for the stop; what `whenRequested` registered runs now, on the caller's thread.
    public func request() {
        lock.lock()
        let wasRequested = requested
        requested = true
        let run = wasRequested ? [] : actions
        lock.unlock()
        for action in run { action() }
    }

    /// Runs `action` when the stop is asked for (at once if it already was).
    func whenRequested(_ action: @escaping @Sendable () -> Void) {
        lock.lock()
        guard !requested else { lock.unlock(); action(); return }
        actions.append(action)
        lock.unlock()
    }

    public var isRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return requested
    }
}
