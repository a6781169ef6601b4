/// An error from libpq, the server, or this layer. Its description is one line and never holds a password.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// Could not connect, or the connection is closed or lost.
        case connection
        /// The server refused a statement; `sqlState` says why.
        case server
        /// A value could not be turned into the requested Swift type.
        case decoding
        /// The client used the protocol wrongly (e.g. a COPY through `query`, a nested transaction, a bad identifier).
        case protocolViolation
        /// Sending COPY data failed on the client side.
        case copy
    }

    public var kind: Kind
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    public var severity: String?

    public init(
        kind: Kind,
        message: String,
        sqlState: String? = nil,
        detail: String? = nil,
        hint: String? = nil,
        severity: String? = nil
    ) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.hint = hint
        self.severity = severity
    }

    /// e.g. `ERROR 23505: duplicate key value violates unique constraint "t_pkey" (detail: Key (id)=(1) already exists.)`
    public var description: String {
        var line: String
        switch kind {
        case .server:
            line = severity ?? "ERROR"
            if let sqlState { line += " \(sqlState)" }
            line += ": "
        case .connection: line = "connection error: "
        case .decoding: line = "decoding error: "
        case .protocolViolation: line = "protocol violation: "
        case .copy: line = "COPY error: "
        }
        line += message
        if let detail, !detail.isEmpty { line += " (detail: \(detail))" }
        if let hint, !hint.isEmpty { line += " (hint: \(hint))" }
        return PostgresText.foldedToOneLine(line)
    }
}
