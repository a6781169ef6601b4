/// A json or jsonb value as its raw text; parse it with the JSON decoder of your choice.
public struct PostgresJSON: Sendable, Hashable, PostgresEncodable, PostgresDecodable {
    public var text: String

    public init(text: String) {
        self.text = text
    }

    public var postgresText: String? { text }

    public init(postgresText: String, typeOID: UInt32) {
        self.text = postgresText
    }
}
