import Dispatch
import Foundation
import RemedyCore

/// Ctrl-C or SIGTERM while apply runs. The first asks the run to stop (StopRequest): before it
/// writes anything, or after the batches already under way, with its report and audit rows, and
/// exit 130. A second stops at once, by the signal's default action: the batch then in the
/// database rolls back, and the same apply run again finishes the plan (nothing is booked twice).
/// Once the run has ended (`runEnded`, while its lines are printed) the first stops at once too.
enum ApplyInterrupt {
    /// Installs the handlers for the rest of the process and returns the request they set.
    static func install() -> StopRequest {
        let stop = StopRequest()
        for signalNumber in [SIGINT, SIGTERM] {
            // Ignored first, so the default action cannot win the race with the source.
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if stop.isRequested || state.hasEnded {
                    // Dies of the signal itself, as a shell expects of Ctrl-C: its default action,
                    // raised on this thread with the signal unblocked here (the dispatch source
                    // may have it blocked to read it).
                    var only = sigset_t()
                    sigemptyset(&only)
                    sigaddset(&only, signalNumber)
                    pthread_sigmask(SIG_UNBLOCK, &only, nil)
                    signal(signalNumber, SIG_DFL)
                    raise(signalNumber)
                    return
                }
                stop.request()
                Terminal.logger.notice("apply: interrupted; stopping after the batches under way (interrupt again to stop at once: the batch in the database rolls back)",
                                       metadata: ["step": "apply", "signal": "\(signalNumber)"])
            }
            source.resume()
            state.keep(source)
        }
        return stop
    }

    /// The run has ended: nothing is left to stop between, so an interrupt ends the process.
    static func runEnded() {
        state.end()
    }

    private static let state = State()

    /// The sources (kept alive as long as the process) and whether the run has ended.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var sources: [any DispatchSourceSignal] = []
        private var ended = false

        func keep(_ source: any DispatchSourceSignal) { lock.withLock { sources.append(source) } }
        func end() { lock.withLock { ended = true } }
        var hasEnded: Bool { lock.withLock { ended } }
    }
}
