import EphemeralPostgres
import Foundation
import Postgres

/// A primary and a real hot standby streaming from it, started once per test process on first use
/// (the primary a throwaway cluster like TestCluster's, the standby a copy of it by
/// `pg_basebackup -R`); the registry's exit hook stops both. The pair is apart from the shared
/// cluster: the standby replays only what the replica tests do, and a test that pauses replay
/// holds up no one else. Tests that pause replay must run serialized.
public enum TestReplica {
    public struct Pair: Sendable {
        public let primary: EphemeralCluster
        public let standby: EphemeralCluster
    }

    private static let started = Result { () throws -> Pair in
        // Stated, not assumed: a standby needs WAL for replicas and a sender to stream it.
        let primary = try EphemeralCluster.start(logger: TestLogger.shared, extraSettings: ["wal_level=replica", "max_wal_senders=4"])
        do {
            return Pair(primary: primary, standby: try primary.startStandby(logger: TestLogger.shared))
        } catch {
            primary.stop()
            throw error
        }
    }

    /// Tests that need a standby skip themselves where pg_basebackup is missing, unless CI requires it
    /// (it ships with the server binaries, so CI has it).
    public static var isAvailable: Bool {
        EphemeralCluster.canStartStandby || ProcessInfo.processInfo.environment["REMEDY_REQUIRE_REPLICA"] == "1"
    }

    public static func get() throws -> Pair {
        try started.get()
    }

    /// A fresh database on the pair's primary (it reaches the standby by replication); `named`
    /// gives it a chosen name (e.g. the name of a database in another cluster).
    public static func makeDatabase(named: String? = nil) throws -> TestDatabase {
        let pair = try get()
        return TestDatabase(name: try pair.primary.createDatabase(named: named), cluster: pair.primary)
    }

    /// The standby's URL for a database of the primary.
    public static func standbyURL(database: String) throws -> String {
        try get().standby.connectionURL(database: database)
    }

    /// Waits until the standby has replayed everything the primary has committed so far.
    public static func waitForReplay(timeoutSeconds: Double = 30) throws {
        let pair = try get()
        let primary = try PostgresConnection.connect(url: pair.primary.connectionURL(database: "postgres"), applicationName: "remedy-tests", logger: TestLogger.shared)
        defer { primary.close() }
        let standby = try PostgresConnection.connect(url: pair.standby.connectionURL(database: "postgres"), applicationName: "remedy-tests", logger: TestLogger.shared)
        defer { standby.close() }
        // The insert position, not pg_current_wal_lsn() (the write position): the throwaway
        // clusters commit asynchronously, so a commit just acknowledged may not be written yet,
        // and waiting for the write position let a verify on the standby miss a whole apply.
        let target = try primary.query("SELECT pg_current_wal_insert_lsn()::text")[0].decode(0, as: String.self)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while try !standby.query("SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", [target])[0].decode(0, as: Bool.self) {
            guard Date() < deadline else {
                throw EphemeralPostgresError("the standby did not replay up to \(target) within \(timeoutSeconds) s")
            }
            usleep(20_000)
        }
    }

    /// Pauses WAL replay on the standby (what it shows stays as it is) until `resumeReplay()`;
    /// returns once replay has stopped.
    public static func pauseReplay() throws {
        try onStandby { standby in
            try standby.execute("SELECT pg_wal_replay_pause()")
            let deadline = Date().addingTimeInterval(30)
            while try standby.query("SELECT pg_get_wal_replay_pause_state()")[0].decode(0, as: String.self) != "paused" {
                guard Date() < deadline else { throw EphemeralPostgresError("the standby's replay did not pause within 30 s") }
                usleep(10_000)
            }
        }
    }

    public static func resumeReplay() throws {
        try onStandby { try $0.execute("SELECT pg_wal_replay_resume()") }
    }

    private static func onStandby(_ body: (PostgresConnection) throws -> Void) throws {
        let connection = try PostgresConnection.connect(url: try get().standby.connectionURL(database: "postgres"), applicationName: "remedy-tests", logger: TestLogger.shared)
        defer { connection.close() }
        try body(connection)
    }
}
