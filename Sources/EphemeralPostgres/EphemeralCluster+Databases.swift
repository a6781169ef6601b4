import Logging
import Postgres

extension EphemeralCluster {
    /// Creates a database (a random safe name when `named` is nil) and returns its name.
    @discardableResult
    public func createDatabase(named: String? = nil) throws -> String {
        let name = named ?? "remedy_" + RandomName.hex(length: 16)
        try withAdminConnection { connection in
            try connection.execute("CREATE DATABASE \(try PostgresIdentifier.quoted(name))")
        }
        return name
    }

    /// Drops a database, ending any sessions still connected to it.
    public func dropDatabase(named name: String) throws {
        try withAdminConnection { connection in
            try connection.execute("DROP DATABASE IF EXISTS \(try PostgresIdentifier.quoted(name)) WITH (FORCE)")
        }
    }

    /// A short-lived connection to the `postgres` database for cluster-wide statements.
    private func withAdminConnection(_ body: (PostgresConnection) throws -> Void) throws {
        let connection = try PostgresConnection.connect(url: connectionURL(database: "postgres"), applicationName: "remedy-ephemeral", logger: logger)
        defer { connection.close() }
        try body(connection)
    }
}
