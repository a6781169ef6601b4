/// How `PostgresConnection.transaction` opens its transaction.
public struct TransactionOptions: Sendable {
    public var isolation: IsolationLevel = .readCommitted
    public var readOnly = false

    public init(isolation: IsolationLevel = .readCommitted, readOnly: Bool = false) {
        self.isolation = isolation
        self.readOnly = readOnly
    }

    /// e.g. `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`, then the settings decoding relies on,
    /// again for this transaction only: behind a transaction-mode pooler (Supabase's, port 6543)
    /// each transaction may run on another server connection, where the session settings made at
    /// connect are missing or another client's `SET DateStyle`/`SET TimeZone` is in force.
    var beginStatement: String {
        "BEGIN ISOLATION LEVEL \(isolation.rawValue) \(readOnly ? "READ ONLY" : "READ WRITE"); \(Self.localSettings)"
    }

    /// The settings a transaction needs, whatever server connection it runs on.
    static let localSettings = "SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL TimeZone = 'UTC'"
}

public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}
