import Foundation

/// Crash points for the reliability tests: with `REMEDY_FAULT_KILL_AT=N`, the process kills
/// itself with SIGKILL at the N-th checkpoint of apply (or plan's one, once its lines are
/// spooled), exactly as a crash would, with no cleanup.
/// With `REMEDY_FAULT_COMMIT_IN_FLIGHT=1` as well, a death at a checkpoint that has a commit to
/// send first sends it, so the runner dies not knowing whether its batch committed.
/// With `REMEDY_FAULT_REPORT_WRITE_FAILS=1`, writing the run report at the end fails, as a full
/// disk would, after every batch has committed. With `REMEDY_FAULT_INTERRUPT_AT=N`, the process
/// sends itself SIGINT at the N-th checkpoint, as a person pressing Ctrl-C at that moment would
/// (`REMEDY_FAULT_INTERRUPT_TWICE=1`: twice). Unset (always, in production) they do nothing.
public struct FaultInjection: Sendable {
    public static let environmentVariable = "REMEDY_FAULT_KILL_AT"
    public static let commitInFlightVariable = "REMEDY_FAULT_COMMIT_IN_FLIGHT"
    public static let reportWriteFailsVariable = "REMEDY_FAULT_REPORT_WRITE_FAILS"
    public static let interruptAtVariable = "REMEDY_FAULT_INTERRUPT_AT"
    public static let interruptTwiceVariable = "REMEDY_FAULT_INTERRUPT_TWICE"
    let killAt: Int?
    let interruptAt: Int?
    let interruptTwice: Bool
    let commitInFlight: Bool
    let reportWriteFails: Bool
    private let counter = Counter()

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        killAt = environment[FaultInjection.environmentVariable].flatMap(Int.init)
        commitInFlight = environment[FaultInjection.commitInFlightVariable] == "1"
        reportWriteFails = environment[FaultInjection.reportWriteFailsVariable] == "1"
        interruptAt = environment[FaultInjection.interruptAtVariable].flatMap(Int.init)
        interruptTwice = environment[FaultInjection.interruptTwiceVariable] == "1"
    }

    /// Called as each part of the run report is handed to its file: fails the write part way
    /// when asked to.
    func reportWrite() throws {
        if reportWriteFails { throw RemedyError(.io, "fault injection: the run report's write fails") }
    }

    /// Marks a point of apply (or plan); `name` is printed to stderr when the process dies there.
    /// `sendCommit` is what "COMMIT in flight" sends before dying.
    public func checkpoint(_ name: String, sendCommit: (() throws -> Void)? = nil) {
        if let interruptAt {
            if counter.next() == interruptAt {
                FileHandle.standardError.write(Data("remedy: fault injection: SIGINT\(interruptTwice ? " twice" : "") at checkpoint \(interruptAt) (\(name))\n".utf8))
                kill(getpid(), SIGINT)
                if interruptTwice {
                    // The second after the first was handled, as a person's second press would be.
                    usleep(200_000)
                    kill(getpid(), SIGINT)
                    usleep(2_000_000)
                }
            }
            return
        }
        guard let killAt else { return }
        if counter.next() == killAt {
            var how = "SIGKILL"
            if commitInFlight, let sendCommit {
                try? sendCommit()
                how = "COMMIT sent, then SIGKILL"
            }
            FileHandle.standardError.write(Data("remedy: fault injection: \(how) at checkpoint \(killAt) (\(name))\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
    }
}
