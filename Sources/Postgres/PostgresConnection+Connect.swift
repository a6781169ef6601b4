import CLibPQ
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension PostgresConnection {
    /// Seconds libpq waits for a server that does not answer, unless told otherwise.
    public static let defaultConnectTimeoutSeconds = 30

    /// Opens a connection.
    ///
    /// - Parameter url: a `postgres://` URL or a `key=value` conninfo string; nil or "" uses libpq's own
    ///   environment (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, ~/.pgpass, PGSERVICE) as psql does.
    /// - Parameter applicationName: shown in pg_stat_activity; overrides one given in the URL.
    public static func connect(url: String?, applicationName: String = "remedy", logger: Logger) throws -> PostgresConnection {
        let conninfo = url ?? ""
        // dbname with expand_dbname = 1 takes a URL or conninfo string, whose settings override the keywords
        // before it; an empty value falls back to the environment. connect_timeout bounds the wait for an
        // unreachable server unless PGCONNECT_TIMEOUT (empty value: read by libpq) or the URL says otherwise.
        let connectTimeout = ProcessInfo.processInfo.environment["PGCONNECT_TIMEOUT"] == nil ? String(defaultConnectTimeoutSeconds) : ""
        let handle = try withCStringArray(["connect_timeout", "dbname", "application_name"]) { keywords in
            try withCStringArray([connectTimeout, conninfo, applicationName]) { values in
                guard let handle = PQconnectdbParams(keywords, values, 1) else {
                    throw PostgresError(kind: .connection, message: "libpq could not allocate a connection")
                }
                return handle
            }
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let libpqMessage = PostgresText.foldedToOneLine(String(cString: PQerrorMessage(handle)))
            PQfinish(handle)
            let message = PostgresConnectionSecrets.redacting(libpqMessage, secretsIn: conninfo)
            throw PostgresError(kind: .connection, message: "could not connect: \(message)")
        }

        let connection = PostgresConnection(handle: handle, logger: logger, noticeSink: PostgresNoticeSink(logger: logger))
        connection.noticeSink.install(on: handle)
        do {
            // Fixed session settings make decoding deterministic: ISO timestamps in UTC, UTF-8 text. Through a
            // transaction-mode pooler they may be lost; every transaction sets them again (TransactionOptions).
            try connection.executeScript("SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; SET client_encoding = 'UTF8'")
        } catch {
            connection.close()
            throw error
        }
        logger.debug("connected to PostgreSQL", metadata: [
            "postgres.host": "\(String(cString: PQhost(handle)))",
            "postgres.port": "\(String(cString: PQport(handle)))",
            "postgres.database": "\(String(cString: PQdb(handle)))",
            "postgres.user": "\(String(cString: PQuser(handle)))",
            "postgres.backend_pid": "\(connection.backendPID)",
        ])
        return connection
    }
}

/// Calls `body` with a NULL-terminated `const char * const *` array holding copies of `strings` (nil stays NULL).
func withCStringArray<T>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> T) rethrows -> T {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } } + [nil]
    return try pointers.withUnsafeBufferPointer { try body($0.baseAddress!) }
}
