import EphemeralPostgres
import Foundation
import Logging
import Postgres
import Testing

private let logger = Logger(label: "remedy.tests.ephemeral")

@Suite struct EphemeralClusterTests {
    @Test func startConnectCreateDropAndStop() throws {
        let clock = ContinuousClock()
        let began = clock.now
        let cluster = try EphemeralCluster.start(logger: logger)
        print("EphemeralCluster.start took \(clock.now - began)")
        defer { cluster.stop() }

        #expect(cluster.directoryPath.hasPrefix("/tmp/remedy-pg/"))
        #expect(cluster.socketDirectory.utf8.count + "/.s.PGSQL.65535".utf8.count <= 107)
        let admin = try PostgresConnection.connect(url: cluster.connectionURL(database: "postgres"), logger: logger)
        #expect(try admin.query("SELECT current_user").first?.decode(0, as: String.self) == "postgres")
        #expect(admin.serverVersionNumber >= 130_000)
        admin.close()

        let name = try cluster.createDatabase()
        let connection = try PostgresConnection.connect(url: cluster.connectionURL(database: name), logger: logger)
        #expect(try connection.query("SELECT current_database()").first?.decode(0, as: String.self) == name)
        connection.close()

        let named = try cluster.createDatabase(named: "Mixed Case db")
        #expect(named == "Mixed Case db")
        let spaced = try PostgresConnection.connect(url: cluster.connectionURL(database: named), logger: logger)
        #expect(try spaced.query("SELECT current_database()").first?.decode(0, as: String.self) == named)
        // Dropping ends the session still connected to it.
        try cluster.dropDatabase(named: named)
        spaced.close()

        try cluster.dropDatabase(named: name)
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection.connect(url: cluster.connectionURL(database: name), logger: logger)
        }
        #expect(error?.description.contains("does not exist") == true)

        let pid = cluster.postmasterPID
        let directory = cluster.directoryPath
        cluster.stop()
        #expect(isGone(pid), "the postmaster \(pid) is still running")
        #expect(!FileManager.default.fileExists(atPath: directory))
        cluster.stop()  // idempotent
    }

    @Test func staleClusterOfDeadOwnerIsSweptAtNextStart() throws {
        let stale = try EphemeralCluster.start(logger: logger)
        defer { stale.stop() }
        // Pretend a crashed process owned it: record a pid that has just exited.
        try "\(try deadProcessID())\n".write(toFile: stale.directoryPath + "/owner", atomically: true, encoding: .utf8)
        #expect(kill(stale.postmasterPID, 0) == 0)

        let fresh = try EphemeralCluster.start(logger: logger)
        defer { fresh.stop() }

        #expect(isGone(stale.postmasterPID), "the stale postmaster \(stale.postmasterPID) is still running")
        #expect(!FileManager.default.fileExists(atPath: stale.directoryPath))
        // The live cluster was left alone.
        let connection = try PostgresConnection.connect(url: fresh.connectionURL(database: "postgres"), logger: logger)
        #expect(try connection.query("SELECT 1").count == 1)
        connection.close()
    }

    @Test func conninfoIsKeyValue() throws {
        let cluster = try EphemeralCluster.start(logger: logger)
        defer { cluster.stop() }
        #expect(cluster.connectionURL(database: "shop") == "host=\(cluster.socketDirectory) port=\(cluster.port) dbname=shop user=postgres")
    }

    @Test func extraSettingsReachTheServer() throws {
        let cluster = try EphemeralCluster.start(logger: logger, extraSettings: ["work_mem=48MB", "cluster_name = it's a test"])
        defer { cluster.stop() }
        let connection = try PostgresConnection.connect(url: cluster.connectionURL(database: "postgres"), logger: logger)
        defer { connection.close() }
        #expect(try connection.query("SHOW work_mem")[0].decode(0, as: String.self) == "48MB")
        #expect(try connection.query("SHOW cluster_name")[0].decode(0, as: String.self) == "it's a test")
    }

    @Test func malformedExtraSettingsAreRefusedBeforeAnythingStarts() throws {
        for bad in ["work_mem", "work mem=1MB", "x=1\nshared_preload_libraries=evil", "=1MB"] {
            #expect(throws: EphemeralPostgresError.self) { try EphemeralCluster.start(logger: logger, extraSettings: [bad]) }
        }
    }

    /// kill(pid, 0) fails once the process is gone. The postmaster is not our child but init's, and this
    /// machine's init reaps lazily, so a zombie (state Z: exited, resources freed) also counts, after a wait.
    private func isGone(_ pid: Int32) -> Bool {
        for _ in 0..<100 {
            if kill(pid, 0) == -1 && errno == ESRCH { return true }
            usleep(50_000)
        }
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        let isZombie = stat.range(of: ") ", options: .backwards).map { stat[$0.upperBound...].hasPrefix("Z") } ?? false
        if isZombie { print("postmaster \(pid) exited and awaits reaping by init (zombie)") }
        return isZombie
    }

    /// The pid of a process that has exited and been reaped.
    private func deadProcessID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
