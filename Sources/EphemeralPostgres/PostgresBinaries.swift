import Foundation

/// Where initdb and pg_ctl are: `$REMEDY_PG_BIN`, then PATH, then the usual install locations (highest version first).
struct PostgresBinaries: Sendable {
    let directory: String
    var initdb: String { directory + "/initdb" }
    var pgCtl: String { directory + "/pg_ctl" }
    /// Copies a running cluster for a standby; in the same package as the server on Debian and
    /// Homebrew. Beside pg_ctl, or beside what pg_ctl links to (a directory of symlinks to the
    /// server programs alone, such as /usr/local/bin, leads to the install they came from); nil if
    /// neither has it.
    var pgBasebackup: String? {
        let resolved = URL(fileURLWithPath: pgCtl).resolvingSymlinksInPath().deletingLastPathComponent().path
        return [directory, resolved].map { $0 + "/pg_basebackup" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The environment variable that names the bin directory explicitly.
    static let environmentVariable = "REMEDY_PG_BIN"

    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PostgresBinaries {
        if let explicit = environment[environmentVariable], !explicit.isEmpty {
            // An explicit choice that does not work is an error, not a reason to pick something else.
            guard hasServerTools(explicit) else {
                throw EphemeralPostgresError("\(environmentVariable)=\(explicit) does not contain executable initdb and pg_ctl")
            }
            return PostgresBinaries(directory: explicit)
        }
        let pathDirectories = (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let candidates = pathDirectories
            + versioned("/usr/lib/postgresql", suffix: "/bin", prefix: "")
            + versioned("/usr/local/opt", suffix: "/bin", prefix: "postgresql")
            + versioned("/opt/homebrew/opt", suffix: "/bin", prefix: "postgresql")
        guard let found = candidates.first(where: hasServerTools) else {
            throw EphemeralPostgresError("initdb and pg_ctl not found in PATH, /usr/lib/postgresql/*/bin, /usr/local/opt/postgresql*/bin or /opt/homebrew/opt/postgresql*/bin; install PostgreSQL or set \(environmentVariable)")
        }
        return PostgresBinaries(directory: found)
    }

    private static func hasServerTools(_ directory: String) -> Bool {
        ["initdb", "pg_ctl"].allSatisfy { FileManager.default.isExecutableFile(atPath: directory + "/" + $0) }
    }

    /// `parent/<prefix…>` + suffix, highest version number first (`15` before `9.6`, `postgresql@16` before `postgresql@14`).
    private static func versioned(_ parent: String, suffix: String, prefix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        return names
            .filter { $0.hasPrefix(prefix) }
            .sorted { versionKey($1).lexicographicallyPrecedes(versionKey($0)) }
            .map { parent + "/" + $0 + suffix }
    }

    private static func versionKey(_ name: String) -> [Int] {
        name.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
    }
}
