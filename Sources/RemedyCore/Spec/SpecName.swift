import Foundation

/// The plain names a job spec holds (and a job is called by), one check each wherever they are
/// read. Each pattern holds to the end of the text (`\z`): NSRegularExpression's `$` also matches
/// before a final line break, which let `"finance\n"` pass where `$` was used.
enum SpecName {
    /// A job: lowercase letters, digits and `-`, a letter or digit first, at most 63.
    static func isJob(_ text: String) -> Bool { matches(text, #"^[a-z0-9][a-z0-9-]{0,62}\z"#) }

    /// A parameter: lowercase letters, digits and `_`, a letter first, at most 63.
    static func isParameter(_ text: String) -> Bool { matches(text, #"^[a-z][a-z0-9_]{0,62}\z"#) }

    /// An environment variable a spec names for a secret: UPPER_CASE, at most 64.
    static func isEnvironmentVariable(_ text: String) -> Bool { matches(text, #"^[A-Z_][A-Z0-9_]{0,63}\z"#) }

    /// A field of a callback's body or a gateway's answer: a plain identifier, at most 63.
    static func isField(_ text: String) -> Bool { matches(text, #"^[A-Za-z_][A-Za-z0-9_]{0,62}\z"#) }

    private static func matches(_ text: String, _ pattern: String) -> Bool {
        text.range(of: pattern, options: .regularExpression) != nil
    }
}
