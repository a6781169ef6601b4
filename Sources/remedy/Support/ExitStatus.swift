import ArgumentParser
import RemedyCore

/// remedy's exit codes: stable, for scripts and schedulers to tell "refused" from "broken".
/// Documented in README ("Exit codes") and in the manual (`remedy --help`).
enum ExitStatus: Int32 {
    /// Done as asked.
    case ok = 0
    /// Something is broken: bad input, a spec that does not fit, the database unreachable.
    case error = 1
    /// A plan was written or changes wait for a person (`plan --detailed-exitcode`, `run`).
    /// (`remedy check` uses 2 for "fit to plan, with warnings".)
    case waiting = 2
    /// Refused on purpose: a signature, the quorum, an expiry, a stale or forged plan, a policy,
    /// a lease held by another runner, lines apply would not move.
    case refused = 3
    /// A verification failed: a residual (verify), a broken audit chain (audit verify), an export
    /// that does not agree with remedy's book.
    case verificationFailed = 4
    /// Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it): apply (or `run`'s
    /// automatic apply) stops between batches, with its report; what it did not reach waits for
    /// the same apply again (for `run`, the next run).
    case interrupted = 130

    var exitCode: ExitCode { ExitCode(rawValue) }

    static func of(_ code: RemedyError.Code) -> ExitStatus {
        switch code {
        case .untrustedKey, .tampered, .wrongDatabase, .expired, .quorum, .leaseHeld: .refused
        case .badSpec, .badParameter, .badInput, .notInitialized, .rowSecurity, .invariant, .notApplicable, .io, .gateway: .error
        case .interrupted: .interrupted
        }
    }

    static let help = """
    Exit codes: 0 done; 1 error (bad input, unreachable database, a job that cannot run here); \
    2 a plan was written or changes wait for a person (plan --detailed-exitcode, run; for check: \
    warnings); 3 refused (signature, quorum, expiry, stale or forged plan, policy, lease, lines \
    not applied); 4 verification failed (residual, broken audit chain, export discrepancy); 130 \
    apply (or run's automatic apply) stopped by Ctrl-C or SIGTERM between batches (run it again \
    to finish). Every \
    command takes --json: one JSON document on stdout (exact amounts as strings), and an error as \
    {"error":{"code":…,"message":…}} with the same exit code.
    """
}
