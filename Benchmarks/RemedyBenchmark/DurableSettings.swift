import Foundation
import Postgres

/// fsync, synchronous_commit and full_page_writes on, for the whole server (ALTER SYSTEM and a
/// reload: none of the three needs a restart), and back as they were afterwards, also at exit.
/// On a shared server this slows everyone's writes while it lasts; it changes nothing else.
struct DurableSettings {
    static let names = ["fsync", "synchronous_commit", "full_page_writes"]
    static let reloadWaitSeconds = 10.0

    let server: ShopServer

    /// Turns them on and returns the action that puts back what postgresql.auto.conf had.
    func enable() throws -> () -> Void {
        let admin = try server.connect()
        defer { admin.close() }
        var previous: [String: String] = [:]
        for row in try admin.query(Self.autoConfValues, [PostgresArray(Self.names)]) {
            previous[try row.decode(0, as: String.self)] = try row.decode(1, as: String.self)
        }
        let restore = { [server] in
            guard let admin = try? server.connect() else { return }
            defer { admin.close() }
            for name in Self.names {
                if let value = previous[name] {
                    _ = try? admin.execute("ALTER SYSTEM SET \(name) = '\(value.replacingOccurrences(of: "'", with: "''"))'")
                } else {
                    _ = try? admin.execute("ALTER SYSTEM RESET \(name)")
                }
            }
            _ = try? admin.execute("SELECT pg_reload_conf()")
        }
        let token = Cleanups.add("restore \(Self.names.joined(separator: ", "))", restore)
        for name in Self.names { _ = try admin.execute("ALTER SYSTEM SET \(name) = on") }
        _ = try admin.execute("SELECT pg_reload_conf()")
        try waitUntilOn()
        return { Cleanups.run(token) }
    }

    /// A reload is asynchronous: a new session sees the new values once the postmaster read them.
    private func waitUntilOn() throws {
        let deadline = ContinuousClock.now + .seconds(Self.reloadWaitSeconds)
        while ContinuousClock.now < deadline {
            let probe = try server.connect()
            let values = try probe.query("SELECT current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes')")[0]
            probe.close()
            if try (0..<3).allSatisfy({ try values.decode($0, as: String.self) == "on" }) { return }
            usleep(200_000)
        }
        throw BenchmarkError("the server did not take \(Self.names.joined(separator: ", ")) = on within \(Self.reloadWaitSeconds) s of a reload")
    }

    /// What postgresql.auto.conf sets for them now (ALTER SYSTEM's earlier values), to put back.
    private static let autoConfValues = """
        SELECT name, setting FROM pg_file_settings
         WHERE name = ANY($1::text[]) AND sourcefile LIKE '%postgresql.auto.conf' AND applied
        """
}
