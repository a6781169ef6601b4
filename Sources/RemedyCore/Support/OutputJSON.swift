import Foundation

/// The JSON remedy prints for scripts (`--json`): keys sorted, snake_case, pretty-printed. Not
/// hashed or signed (that is CanonicalJSON), but stable: the same value prints the same way.
public enum OutputJSON {
    public static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }
}
