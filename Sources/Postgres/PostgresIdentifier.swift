/// Quotes identifiers (table, column, schema names) that come from configuration, never from SQL text.
public enum PostgresIdentifier {
    /// NAMEDATALEN - 1: longer names are silently truncated by the server, so they are refused here.
    public static let maximumLengthBytes = 63

    /// `name` validated (non-empty, at most 63 bytes, no NUL) and double-quoted, embedded quotes doubled.
    /// A Swift String is always valid UTF-8, which covers the encoding check.
    public static func quoted(_ name: String) throws -> String {
        guard !name.isEmpty else {
            throw invalid(name, "it is empty")
        }
        guard name.utf8.count <= maximumLengthBytes else {
            throw invalid(name, "it is \(name.utf8.count) bytes; PostgreSQL allows \(maximumLengthBytes)")
        }
        guard !name.utf8.contains(0) else {
            throw invalid(name, "it contains a NUL byte")
        }
        var quoted = "\""
        for character in name.unicodeScalars {
            if character == "\"" { quoted += "\"\"" } else { quoted.unicodeScalars.append(character) }
        }
        return quoted + "\""
    }

    /// `schema.table` (split on its one dot) as `"schema"."table"`; a name without a dot is quoted alone.
    public static func quotedQualified(_ name: String) throws -> String {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2 else {
            throw invalid(name, "a qualified name has at most one dot (schema.table)")
        }
        return try parts.map { try quoted(String($0)) }.joined(separator: ".")
    }

    private static func invalid(_ name: String, _ reason: String) -> PostgresError {
        let shown = name.utf8.count > 80 ? String(name.prefix(80)) + "…" : name
        return PostgresError(kind: .protocolViolation, message: "invalid identifier \"\(shown)\": \(reason)")
    }
}
