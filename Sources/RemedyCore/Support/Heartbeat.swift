import Dispatch

/// Says, every `intervalMilliseconds` until `stop()`, how long a step has run with nothing else
/// to show: detect reads for half a minute at 1,000,000 users before its first row, and a person
/// at the terminal should see it has not hung. `say` runs on a timer's thread; `stop` is for the
/// thread that made it.
final class Heartbeat {
    private let timer: any DispatchSourceTimer

    init(intervalMilliseconds: Int, say: @escaping @Sendable (_ elapsedMilliseconds: Int) -> Void) {
        precondition(intervalMilliseconds > 0)
        let started = DispatchTime.now().uptimeNanoseconds
        timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + .milliseconds(intervalMilliseconds), repeating: .milliseconds(intervalMilliseconds))
        timer.setEventHandler {
            say(Int((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000))
        }
        timer.activate()
    }

    /// No line starts after this returns (one already being said may still finish).
    func stop() {
        timer.cancel()
    }

    deinit {
        timer.cancel()
    }
}
