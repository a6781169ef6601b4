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

extension CanonicalJSON {
    /// A small signed or hashed document (an approval, the planner's signature): decoded, encoded
    /// again, and refused unless that gives its very bytes, so one file cannot read two ways.
    static func decodeCanonical<T: Codable>(_ type: T.Type, from data: Data, what: String) throws -> T {
        let value: T
        do { value = try decode(type, from: data) } catch {
            throw RemedyError(.tampered, "\(what) is not a remedy document (\(error)); restore the original")
        }
        if let at = firstDifference(try encode(value), data) {
            throw RemedyError(.tampered, "\(what) is not in remedy's canonical form at byte \(at); remedy never writes such a file: restore the original")
        }
        return value
    }
}
