/// A cluster could not be set up, started or used; the message is one line and names what failed.
public struct EphemeralPostgresError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
