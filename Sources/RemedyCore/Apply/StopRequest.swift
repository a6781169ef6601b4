import Foundation

/// A person's request to stop an apply run early (Ctrl-C, SIGTERM), taken between batches: no
/// batch is claimed after it, the batches already claimed (at most a window, usually the one in
/// the database and the one prepared beside it) run and commit as they would, and the run ends as
/// it ends after its last batch, with its report and audit rows, recorded as interrupted. What
/// was not reached is applied by running the same apply again. Asked for from a signal handler's
/// queue; apply checks it once before it writes anything, and its batch queue closes when asked.
///
/// Apply heeds it from the start of its check to the end of its run (`requestIfHeeded`).
/// Outside that window (while `remedy run` plans, or while apply's lines are printed) there is
/// nothing to stop between, so the signal's handler ends the process itself.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var heeded = false
    private var actions: [@Sendable () -> Void] = []

    public init() {}

    /// Asks for the stop; what `whenRequested` registered runs now, on the caller's thread.
    public func request() {
        _ = ask(onlyIfHeeded: false)
    }

    /// Asks for the stop only if an apply run heeds it now and it was not asked for yet, in one
    /// step (a run cannot end between the test and the request). False: nothing was asked, and
    /// a signal's handler ends the process itself.
    public func requestIfHeeded() -> Bool {
        ask(onlyIfHeeded: true)
    }

    /// Marks the stop asked for (true) unless it already was, or `onlyIfHeeded` and no run heeds
    /// it; the registered actions run once, outside the lock.
    private func ask(onlyIfHeeded: Bool) -> Bool {
        lock.lock()
        guard !requested, heeded || !onlyIfHeeded else { lock.unlock(); return false }
        requested = true
        let run = actions
        lock.unlock()
        for action in run { action() }
        return true
    }

    /// Runs `action` when the stop is asked for (at once if it already was).
    func whenRequested(_ action: @escaping @Sendable () -> Void) {
        lock.lock()
        guard !requested else { lock.unlock(); action(); return }
        actions.append(action)
        lock.unlock()
    }

    public var isRequested: Bool {
        lock.withLock { requested }
    }

    /// Marks the stretch in which apply takes the stop; one run at a time.
    func heed<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock.withLock {
            precondition(!heeded, "one apply run heeds a stop request at a time")
            heeded = true
        }
        defer { lock.withLock { heeded = false } }
        return try body()
    }
}
