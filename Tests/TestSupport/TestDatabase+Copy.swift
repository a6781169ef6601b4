import EphemeralPostgres
import Postgres

extension TestDatabase {
    /// A new database that is a byte-for-byte copy of this one (`CREATE DATABASE … TEMPLATE`).
    /// Nobody may be connected to this database meanwhile (PostgreSQL refuses to copy it).
    public func copy() throws -> TestDatabase {
        let copyName = "remedy_copy_" + String(UInt64.random(in: 1...UInt64.max), radix: 16)
        let copy = TestDatabase(name: copyName, cluster: cluster)
        try admin { connection in
            try connection.execute("CREATE DATABASE \(try PostgresIdentifier.quoted(copy.name)) TEMPLATE \(try PostgresIdentifier.quoted(name))")
        }
        return copy
    }

    /// Throws this database away and puts a copy of `source` in its place, under this database's
    /// name: the same name, so anything bound to the name (remedy's database identity) still holds.
    /// Ends every session on this database; nobody may be connected to `source`.
    public func replace(withCopyOf source: TestDatabase) throws {
        try admin { connection in
            try connection.execute("DROP DATABASE IF EXISTS \(try PostgresIdentifier.quoted(name)) WITH (FORCE)")
            try connection.execute("CREATE DATABASE \(try PostgresIdentifier.quoted(name)) TEMPLATE \(try PostgresIdentifier.quoted(source.name))")
        }
    }

    /// A short-lived superuser connection to the `postgres` database of this database's cluster.
    func admin(_ body: (PostgresConnection) throws -> Void) throws {
        let connection = try PostgresConnection.connect(url: cluster.connectionURL(database: "postgres"),
                                                        applicationName: "remedy-tests", logger: TestLogger.shared)
        defer { connection.close() }
        try body(connection)
    }
}
