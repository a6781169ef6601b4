import Foundation

// Text, integers and booleans as PostgreSQL writes them in text format.

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { self }

    /// Any column's text as is, numeric included (its exact digits are kept for Money to read).
    public init(postgresText: String, typeOID: UInt32) {
        self = postgresText
    }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { String(self) }

    public init(postgresText: String, typeOID: UInt32) throws {
        guard let value = Int(postgresText) else { throw Self.invalid(postgresText) }
        self = value
    }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { String(self) }

    public init(postgresText: String, typeOID: UInt32) throws {
        guard let value = Int64(postgresText) else { throw Self.invalid(postgresText) }
        self = value
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { String(self) }

    public init(postgresText: String, typeOID: UInt32) throws {
        guard let value = Int32(postgresText) else { throw Self.invalid(postgresText, "out of range or not an integer") }
        self = value
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { self ? "t" : "f" }

    public init(postgresText: String, typeOID: UInt32) throws {
        switch postgresText {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw Self.invalid(postgresText)
        }
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { uuidString.lowercased() }

    public init(postgresText: String, typeOID: UInt32) throws {
        guard let value = UUID(uuidString: postgresText) else { throw Self.invalid(postgresText) }
        self = value
    }
}
