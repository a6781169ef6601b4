import EphemeralPostgres
import Postgres

/// A fresh database in the shared test cluster (or another throwaway cluster, e.g. TestReplica's primary).
public struct TestDatabase: Sendable {
    public let name: String
    public let url: String
    let cluster: EphemeralCluster

    init(name: String, cluster: EphemeralCluster) {
        self.name = name
        self.cluster = cluster
        url = cluster.connectionURL(database: name)
    }

    public static func make() throws -> TestDatabase {
        let cluster = try TestCluster.get()
        return TestDatabase(name: try cluster.createDatabase(), cluster: cluster)
    }

    public func connect() throws -> PostgresConnection {
        try PostgresConnection.connect(url: url, applicationName: "remedy-tests", logger: TestLogger.shared)
    }

    /// Drops the database (ending any session still on it).
    public func drop() throws {
        try cluster.dropDatabase(named: name)
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
