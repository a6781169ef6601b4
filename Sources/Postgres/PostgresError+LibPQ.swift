import CLibPQ

extension PostgresError {
    /// A server error read from a PGresult's diagnostic fields.
    init(result: OpaquePointer) {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let message = field("M") ?? PostgresText.foldedToOneLine(String(cString: PQresultErrorMessage(result)))
        self.init(
            kind: .server,
            message: message.isEmpty ? "unknown server error" : message,
            sqlState: field("C"),
            detail: field("D"),
            hint: field("H"),
            // The non-localized severity ('V') is stable across lc_messages; 'S' is the fallback for old servers.
            severity: field("V") ?? field("S")
        )
    }

    /// The connection's last error message (PQerrorMessage), folded to one line.
    static func fromConnection(_ handle: OpaquePointer, kind: Kind, context: String) -> PostgresError {
        let libpqMessage = PostgresText.foldedToOneLine(String(cString: PQerrorMessage(handle)))
        let message = libpqMessage.isEmpty ? context : "\(context): \(libpqMessage)"
        return PostgresError(kind: kind, message: message)
    }
}
