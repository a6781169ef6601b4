import Foundation

/// One server setting for a new cluster, `name=value`, written to its postgresql.conf.
struct ServerSetting: Sendable, Equatable {
    let name: String
    let value: String

    /// Accepts `name=value`; the name is a PostgreSQL parameter name (letters, digits, `_`, `.`), the value
    /// any single line. Anything else is refused, so nothing can be smuggled into the configuration file.
    init(parsing text: String) throws {
        guard let equals = text.firstIndex(of: "=") else {
            throw EphemeralPostgresError("server setting \"\(text)\" is not name=value")
        }
        let name = text[..<equals].trimmingCharacters(in: .whitespaces)
        let value = text[text.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        let nameCharacters = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyz0123456789_.")
        guard !name.isEmpty, name.unicodeScalars.allSatisfy(nameCharacters.contains) else {
            throw EphemeralPostgresError("server setting \"\(text)\": \"\(name)\" is not a parameter name")
        }
        guard !value.contains(where: \.isNewline) else {
            throw EphemeralPostgresError("server setting \"\(name)\": the value must be one line")
        }
        self.name = name
        self.value = value
    }

    /// The line postgresql.conf takes: the value single-quoted, quotes and backslashes escaped.
    var configurationLine: String {
        let quoted = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''")
        return "\(name) = '\(quoted)'"
    }

    /// Appends the settings to the cluster's postgresql.conf (after initdb, before the server starts).
    static func append(_ settings: [ServerSetting], toConfigurationIn directory: ClusterDirectory) throws {
        guard !settings.isEmpty else { return }
        let path = directory.dataDirectory + "/postgresql.conf"
        guard let handle = FileHandle(forWritingAtPath: path) else {
            throw EphemeralPostgresError("could not open \(path) to add server settings")
        }
        defer { try? handle.close() }
        let text = "\n# added by EphemeralCluster.start(extraSettings:)\n" + settings.map(\.configurationLine).joined(separator: "\n") + "\n"
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(text.utf8))
        } catch {
            throw EphemeralPostgresError("could not add server settings to \(path): \(error)")
        }
    }
}
