import Postgres

/// A table or column name taken from a job spec: validated, then always used quoted.
///
/// Names are restricted to what real schemas use (letters, digits, `_`, `$`, not starting with a
/// digit, at most 63 bytes), so a spec cannot smuggle SQL through a name; quoting then keeps
/// case and reserved words safe. A table may be schema-qualified (`public.users`).
public struct SQLIdentifier: Hashable, Sendable, CustomStringConvertible {
    public let parts: [String]

    public init(validating text: String, qualified: Bool = false, what: String) throws {
        let parts = qualified ? text.split(separator: ".", omittingEmptySubsequences: false).map(String.init) : [text]
        guard !parts.isEmpty, parts.count <= 2 else {
            throw RemedyError(.badSpec, "\(what) \"\(text)\" is not a valid name: use name or schema.name")
        }
        for part in parts where !SQLIdentifier.isValid(part) {
            throw RemedyError(.badSpec, "\(what) \"\(text)\" is not a valid SQL name: letters, digits, _ and $ only, not starting with a digit, at most 63 bytes")
        }
        self.parts = parts
    }

    static func isValid(_ part: String) -> Bool {
        guard let first = part.unicodeScalars.first, part.utf8.count <= 63 else { return false }
        guard first == "_" || first.properties.isAlphabetic else { return false }
        return part.unicodeScalars.allSatisfy { $0 == "_" || $0 == "$" || $0.properties.isAlphabetic || ("0"..."9").contains($0) }
    }

    /// The quoted form, e.g. `"public"."users"`.
    public var sql: String {
        parts.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: ".")
    }

    /// The unquoted form as written in the spec, for messages (catalog lookups take `sql`: to_regclass folds unquoted case).
    public var description: String { parts.joined(separator: ".") }

    public var unqualifiedName: String { parts[parts.count - 1] }
}
