import Dispatch
import Foundation
import RemedyCore

/// Ctrl-C or SIGTERM while apply runs (`remedy apply`, or the automatic part of `remedy run`).
/// The first asks the run to stop (StopRequest): before it writes anything, or after the batches
/// already under way, with its report and audit rows, and exit 130. A second stops at once, by the
/// signal's default action: the batch then in the database rolls back, and the same apply run
/// again finishes the plan (nothing is booked twice). Where no apply heeds the request (`remedy
/// run` planning, apply's lines being printed) the first stops at once too: nothing is half done.
enum ApplyInterrupt {
    /// Installs the handlers for the rest of the process and returns the request they set.
    static func install() -> StopRequest {
        let stop = StopRequest()
        for signalNumber in [SIGINT, SIGTERM] {
            // Ignored first, so the default action cannot win the race with the source.
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                guard stop.requestIfHeeded() else {
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
                Terminal.logger.notice("apply: interrupted; stopping after the batches under way (interrupt again to stop at once: the batch in the database rolls back)",
                                       metadata: ["step": "apply", "signal": "\(signalNumber)"])
            }
            source.resume()
            sources.keep(source)
        }
        return stop
    }

    private static let sources = Sources()

    /// The sources, kept alive as long as the process.
    private final class Sources: @unchecked Sendable {
        private let lock = NSLock()
        private var kept: [any DispatchSourceSignal] = []

        func keep(_ source: any DispatchSourceSignal) { lock.withLock { kept.append(source) } }
    }
}
