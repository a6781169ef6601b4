import Foundation

/// The one JSON encoding remedy writes for anything hashed or signed: keys sorted, snake_case,
/// no insignificant whitespace, slashes unescaped, amounts as exact strings (Money's Codable),
/// no floating point anywhere. The same value always gives the same bytes.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        try makeEncoder().encode(value)
    }

    /// The encoder `encode` uses, for callers encoding many values in a row.
    static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(type, from: data)
    }
}
