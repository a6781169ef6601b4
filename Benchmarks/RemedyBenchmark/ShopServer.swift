import EphemeralPostgres
import Foundation
import Logging
import Postgres
import ShopSimulator

/// Where the shops live: a throwaway cluster this run starts (and stops, also on Ctrl-C), or a
/// running server that holds prepared shops as TEMPLATE databases (`--server`). Every measurement
/// runs on a copy, `CREATE DATABASE … TEMPLATE` (a file copy), that is dropped when it is done.
final class ShopServer {
    private let cluster: EphemeralCluster?
    /// A conninfo (key=value) or a URI for the server, without a database to connect to.
    private let server: String
    private let logger: Logger
    private var copies = 0

    /// The self-contained mode: a throwaway cluster with `settings`.
    init(throwawayWith settings: [String], logger: Logger) throws {
        let cluster = try EphemeralCluster.start(logger: logger, extraSettings: settings)
        self.cluster = cluster
        server = cluster.connectionURL(database: "postgres")
        self.logger = logger
    }

    /// A running server (`--server`), as a superuser: copies are made from its templates.
    init(server: String, logger: Logger) {
        cluster = nil
        self.server = server
        self.logger = logger
    }

    func stop() { cluster?.stop() }

    /// `server` pointed at `database`: the last dbname of a conninfo wins; a URI's path is replaced.
    func url(database: String) -> String {
        guard server.contains("://"), var components = URLComponents(string: server) else {
            return server + " dbname=" + Self.conninfoValue(database)
        }
        components.path = "/" + database
        return components.string ?? server
    }

    func connect(database: String = "postgres") throws -> PostgresConnection {
        try PostgresConnection.connect(url: url(database: database), applicationName: "remedy-benchmark", logger: logger)
    }

    /// The self-contained mode's template: the simulator loaded into a database of its own, then
    /// vacuumed and analyzed, with every session to it closed (a template must have none).
    func loadTemplate(users: Int, seed: UInt64, note: (String) -> Void) throws -> (name: String, seconds: Double) {
        let name = "shop_\(users)"
        let admin = try connect()
        defer { admin.close() }
        _ = try admin.execute("CREATE DATABASE \(try PostgresIdentifier.quoted(name))")
        Cleanups.add("drop template \(name)") { [self] in drop(name) }
        let connection = try connect(database: name)
        defer { connection.close() }
        let began = ContinuousClock.now
        _ = try ShopSimulator.load(SimulationOptions(seed: seed, userCount: users), into: connection) { note("  simulator: \($0)") }
        let seconds = (ContinuousClock.now - began).seconds
        for table in ["public.users", "public.transactions"] { _ = try connection.execute("VACUUM ANALYZE \(table)") }
        return (name, seconds)
    }

    /// A copy of `template` to measure on, dropped by `drop` or at exit.
    func copy(of template: String) throws -> (name: String, seconds: Double) {
        copies += 1
        let name = "remedy_benchmark_\(getpid())_\(copies)"
        let admin = try connect()
        defer { admin.close() }
        let began = ContinuousClock.now
        _ = try admin.execute("CREATE DATABASE \(try PostgresIdentifier.quoted(name)) TEMPLATE \(try PostgresIdentifier.quoted(template))")
        Cleanups.add("drop copy \(name)") { [self] in drop(name) }
        return (name, (ContinuousClock.now - began).seconds)
    }

    /// A conninfo value, quoted when it holds a space, quote or backslash.
    private static func conninfoValue(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "'" || $0 == "\\" }) else { return value }
        return "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }

    /// Drops a database this run made, ending sessions still on it; quiet when it is gone already.
    func drop(_ name: String) {
        guard let admin = try? connect() else { return }
        defer { admin.close() }
        if let quoted = try? PostgresIdentifier.quoted(name) {
            _ = try? admin.execute("DROP DATABASE IF EXISTS \(quoted) WITH (FORCE)")
        }
    }
}
