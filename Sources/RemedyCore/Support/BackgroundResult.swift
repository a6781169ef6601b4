import Dispatch

/// A value computed on a dispatch queue and handed over once it is ready: apply's next batch,
/// prepared while the current one is in the database (BatchPrefetch), and plan reading's group of
/// lines, checked while the next is gathered (CheckingGroup).
final class BackgroundResult<Value>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    /// Written once on the queue before `done` is signalled; read only after the wait.
    private var value: Value?
    private var waited = false

    init(on queue: DispatchQueue, _ work: @escaping @Sendable () -> Value) {
        queue.async { [self] in
            value = work()
            done.signal()
        }
    }

    /// The value, once computed (waiting again returns it at once). Called from one thread at a time.
    @discardableResult
    func wait() -> Value {
        if !waited {
            done.wait()
            waited = true
        }
        return value!
    }
}
