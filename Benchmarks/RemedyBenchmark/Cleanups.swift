import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the benchmark must undo however it ends (its copies of the shop, server settings it
/// changed): run in reverse order at exit, which the interrupt handlers of
/// EphemeralClusterRegistry also reach (they call exit). Each action runs once.
enum Cleanups {
    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var actions: [(id: Int, name: String, action: () -> Void)] = []
        var nextId = 0
        var isHookInstalled = false
    }

    private static let state = State()

    /// Registers `action`; returns a token that `run` takes to run it early (and only then).
    @discardableResult
    static func add(_ name: String, _ action: @escaping () -> Void) -> Int {
        let (id, installHook) = state.lock.withLock { () -> (Int, Bool) in
            state.nextId += 1
            state.actions.append((state.nextId, name, action))
            defer { state.isHookInstalled = true }
            return (state.nextId, !state.isHookInstalled)
        }
        if installHook { atexit { Cleanups.runAll() } }
        return id
    }

    /// Runs one registered action now and forgets it.
    static func run(_ id: Int) {
        let entry = state.lock.withLock { () -> (() -> Void)? in
            guard let index = state.actions.firstIndex(where: { $0.id == id }) else { return nil }
            return state.actions.remove(at: index).action
        }
        entry?()
    }

    static func runAll() {
        while let entry = state.lock.withLock({ state.actions.popLast() }) {
            entry.action()
        }
    }
}
