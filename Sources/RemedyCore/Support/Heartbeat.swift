import Dispatch
import Logging

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

extension Heartbeat {
    /// A local step with nothing else to show, said on `logger` now as "PREFIX: WHAT DETAIL" (with
    /// `metadata` and `announcedMetadata`), then every `intervalMilliseconds` as "PREFIX: still
    /// WHAT, N s so far" (with `metadata` and the elapsed time) until the heartbeat returned stops.
    static func announcing(_ what: String, prefix: String, detail: String = "", logger: Logger, metadata: Logger.Metadata,
                           announcedMetadata: Logger.Metadata = [:], intervalMilliseconds: Int) -> Heartbeat {
        logger.notice("\(prefix): \(what)\(detail)", metadata: metadata.merging(announcedMetadata) { $1 })
        return Heartbeat(intervalMilliseconds: intervalMilliseconds) { elapsed in
            logger.notice("\(prefix): still \(what), \(elapsed / 1_000) s so far",
                          metadata: metadata.merging(["elapsed_ms": "\(elapsed)"]) { $1 })
        }
    }
}
