import Foundation

/// timestamptz as ISO 8601 text; see `PostgresTimestamp` for the formats.
extension Date: PostgresEncodable, PostgresDecodable {
    public var postgresText: String? { PostgresTimestamp.format(self) }

    /// From timestamptz or timestamp text; 'infinity' throws.
    public init(postgresText: String, typeOID: UInt32) throws {
        self = try PostgresTimestamp.parse(postgresText)
    }
}
