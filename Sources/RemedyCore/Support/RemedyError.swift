/// An error a person can act on: one line naming what is wrong and what to do.
///
/// Every refusal remedy makes on purpose is one of these; the CLI prints `description` and exits
/// non-zero. `code` is stable, for scripts and tests.
public struct RemedyError: Error, CustomStringConvertible, Sendable, Equatable {
    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public enum Code: String, Sendable {
        case badSpec = "bad-spec"
        case badParameter = "bad-parameter"
        case badInput = "bad-input"
        case notInitialized = "not-initialized"
        case untrustedKey = "untrusted-key"
        case rowSecurity = "row-level-security"
        case tampered = "tampered"
        case wrongDatabase = "wrong-database"
        case expired = "expired"
        case quorum = "quorum"
        case leaseHeld = "lease-held"
        case invariant = "invariant"
        case notApplicable = "not-applicable"
        case io = "io"
        /// The payment gateway refused remedy's key, or stayed unreachable after every retry.
        case gateway = "gateway"
        /// A person asked the command to stop (Ctrl-C, SIGTERM) before it wrote anything.
        case interrupted = "interrupted"
    }
}
