/// How `PostgresConnection.transaction` opens its transaction.
public struct TransactionOptions: Sendable {
    public var isolation: IsolationLevel = .readCommitted
    public var readOnly = false

    public init(isolation: IsolationLevel = .readCommitted, readOnly: Bool = false) {
        self.isolation = isolation
        self.readOnly = readOnly
    }

    /// e.g. `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`
    var beginStatement: String {
        "BEGIN ISOLATION LEVEL \(isolation.rawValue) \(readOnly ? "READ ONLY" : "READ WRITE")"
    }
}

public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}
