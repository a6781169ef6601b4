/// A Swift value sent as a parameter: in text format, or in binary where the type says so.
public protocol PostgresEncodable {
    /// The value as PostgreSQL reads it in text format; nil is SQL NULL.
    var postgresText: String? { get }
    /// The value in PostgreSQL's binary format, sent instead of the text when there is one (the
    /// default has none). Only for a parameter the statement reads as that exact type.
    var postgresBinary: [UInt8]? { get }
}

extension PostgresEncodable {
    public var postgresBinary: [UInt8]? { nil }
}

/// A Swift value read from a column's text.
public protocol PostgresDecodable {
    /// Throws when `postgresText` is not a value of this type; the row adds the column's name to the error.
    init(postgresText: String, typeOID: UInt32) throws
}

extension PostgresDecodable {
    /// The error a conformance throws for text it cannot read.
    static func invalid(_ text: String, _ reason: String? = nil) -> PostgresError {
        let shown = text.count > 64 ? String(text.prefix(64)) + "…" : text
        return PostgresError(kind: .decoding, message: "\"\(shown)\" is not a valid \(Self.self)" + (reason.map { ": \($0)" } ?? ""))
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresText: String? {
        self?.postgresText
    }

    public var postgresBinary: [UInt8]? {
        self?.postgresBinary
    }
}
