import EphemeralPostgres
import Postgres

/// A fresh database in the shared test cluster.
public struct TestDatabase: Sendable {
    public let name: String
    public let url: String

    public static func make() throws -> TestDatabase {
        let cluster = try TestCluster.get()
        let name = try cluster.createDatabase()
        return TestDatabase(name: name, url: cluster.connectionURL(database: name))
    }

    public func connect() throws -> PostgresConnection {
        try PostgresConnection.connect(url: url, applicationName: "remedy-tests", logger: TestLogger.shared)
    }

    /// Drops the database (ending any session still on it).
    public func drop() throws {
        try TestCluster.get().dropDatabase(named: name)
    }
}

/// Runs `body` with a connection to a fresh database; closes the connection and drops the database afterwards.
public func withTestDatabase<T>(_ body: (PostgresConnection, TestDatabase) throws -> T) throws -> T {
    let database = try TestDatabase.make()
    defer { try? database.drop() }
    let connection = try database.connect()
    defer { connection.close() }
    return try body(connection, database)
}
