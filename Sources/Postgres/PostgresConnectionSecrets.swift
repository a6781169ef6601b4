import Foundation

/// Keeps passwords from a connection string out of error messages.
enum PostgresConnectionSecrets {
    /// `message` with every password found in `conninfo` (raw and percent-decoded) and every `password=…` masked.
    static func redacting(_ message: String, secretsIn conninfo: String) -> String {
        var redacted = message
        // libpq may also have read a password from the environment.
        let environmentPassword = ProcessInfo.processInfo.environment["PGPASSWORD"].map { [$0] } ?? []
        let secrets = (passwords(in: conninfo) + environmentPassword).flatMap { [$0, percentDecoded($0)] }
        // Longest first, so a password that contains another is masked whole.
        for secret in Set(secrets).sorted(by: { $0.count > $1.count }) where !secret.isEmpty {
            redacted = redacted.replacingOccurrences(of: secret, with: "***")
        }
        return maskingPasswordAssignments(redacted)
    }

    /// Passwords in a key=value string (`password=…`, quoted or not) or a URL (`user:pw@`, `?password=…`).
    static func passwords(in conninfo: String) -> [String] {
        var found: [String] = []
        if let schemeEnd = conninfo.range(of: "://") {
            let afterScheme = conninfo[schemeEnd.upperBound...]
            // libpq ends the user info at the first '@' or '/'; a malformed URL may carry it up to the last '@'.
            let firstEnd = afterScheme.firstIndex(where: { $0 == "@" || $0 == "/" })
            for userInfoEnd in [firstEnd, afterScheme.lastIndex(of: "@")].compactMap({ $0 }) {
                let userInfo = afterScheme[..<userInfoEnd]
                if let colon = userInfo.firstIndex(of: ":") {
                    found.append(String(userInfo[userInfo.index(after: colon)...]))
                }
            }
        }
        found += valuesAfterPasswordKeyword(in: conninfo)
        return found
    }

    /// Values after `password=` (or `password =`), ending at whitespace, '&' (URL query) or a closing quote.
    private static func valuesAfterPasswordKeyword(in text: String) -> [String] {
        var values: [String] = []
        var searchStart = text.startIndex
        // Bounded: each pass moves past one occurrence of "password".
        while let keyword = text.range(of: "password", options: [], range: searchStart..<text.endIndex) {
            searchStart = keyword.upperBound
            var cursor = keyword.upperBound
            while cursor < text.endIndex, text[cursor] == " " { cursor = text.index(after: cursor) }
            guard cursor < text.endIndex, text[cursor] == "=" else { continue }
            cursor = text.index(after: cursor)
            while cursor < text.endIndex, text[cursor] == " " { cursor = text.index(after: cursor) }
            values.append(readValue(in: text, from: cursor))
        }
        return values
    }

    private static func readValue(in text: String, from start: String.Index) -> String {
        var cursor = start
        var value = ""
        if cursor < text.endIndex, text[cursor] == "'" {
            cursor = text.index(after: cursor)
            while cursor < text.endIndex, text[cursor] != "'" {
                if text[cursor] == "\\" {
                    cursor = text.index(after: cursor)
                    if cursor == text.endIndex { break }
                }
                value.append(text[cursor])
                cursor = text.index(after: cursor)
            }
            return value
        }
        while cursor < text.endIndex, !text[cursor].isWhitespace, text[cursor] != "&" {
            value.append(text[cursor])
            cursor = text.index(after: cursor)
        }
        return value
    }

    /// Masks anything that still looks like `password=value` (e.g. echoed by libpq in its own words).
    private static func maskingPasswordAssignments(_ message: String) -> String {
        var result = message
        for value in valuesAfterPasswordKeyword(in: message) where !value.isEmpty && value != "***" {
            result = result.replacingOccurrences(of: value, with: "***")
        }
        return result
    }

    private static func percentDecoded(_ text: String) -> String {
        text.removingPercentEncoding ?? text
    }
}
