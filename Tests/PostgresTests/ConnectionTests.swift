import Foundation
import Logging
@testable import Postgres
import Testing
import TestSupport

@Suite struct ConnectionTests {
    @Test func sessionIsSetUpForDecoding() throws {
        try withTestDatabase { connection, database throws in
            #expect(try connection.scalar("SHOW TimeZone", as: String.self) == "UTC")
            #expect(try connection.scalar("SHOW DateStyle", as: String.self) == "ISO, YMD")
            #expect(try connection.scalar("SHOW client_encoding", as: String.self) == "UTF8")
            #expect(try connection.scalar("SHOW application_name", as: String.self) == "remedy-tests")
            #expect(try connection.scalar("SELECT pg_backend_pid()", as: Int32.self) == connection.backendPID)
            #expect(connection.serverVersionNumber >= 130_000)
            #expect(try connection.scalar("SELECT current_database()", as: String.self) == database.name)
        }
    }

    @Test func closedPortNamesTheProblemWithoutThePassword() throws {
        let port = try closedPort()
        let error = #expect(throws: PostgresError.self) {
            try PostgresConnection.connect(url: "host=127.0.0.1 port=\(port) dbname=shop user=remedy password=Sup3rSecret connect_timeout=5", logger: TestLogger.shared)
        }
        #expect(error?.kind == .connection)
        let text = error?.description ?? ""
        #expect(text.contains("127.0.0.1") && text.contains("\(port)") && text.contains("Connection refused"), "\(text)")
        #expect(!text.contains("Sup3rSecret"))
        #expect(!text.contains("\n"))
    }

    @Test(arguments: [
        "postgresql://alice:S3cr3t%21pw@127.0.0.1:PORT/shop",
        "postgres://alice:S3cr3t!pw@127.0.0.1:PORT/shop?sslmode=disable",
        "postgresql://alice@127.0.0.1:PORT/shop?password=S3cr3t!pw",
        "postgresql://alice:S3cr3t!pw@127.0.0.1:notaport/shop",
        "postgresql://alice:S3cr3t!pw/x@127.0.0.1:PORT/shop",
        "host=127.0.0.1 port=PORT password='S3cr3t!pw' user=alice",
        "host=127.0.0.1 port=PORT password=S3cr3t!pw bogus_option=1",
        "postgresql://alice:S3cr3t!pw@127.0.0.1:PORT/shop?bogus=S3cr3t!pw",
    ])
    func passwordInTheURLNeverAppearsInTheError(template: String) throws {
        let url = template.replacingOccurrences(of: "PORT", with: String(try closedPort()))
        let error = #expect(throws: PostgresError.self) { try PostgresConnection.connect(url: url, logger: TestLogger.shared) }
        let text = error?.description ?? ""
        #expect(!text.isEmpty)
        #expect(!text.contains("S3cr3t"), "\(text)")
    }

    @Test func redactionCoversWhatLibpqMightEcho() {
        let conninfo = "postgresql://alice:p%40ss@db.internal/shop"
        let message = "could not parse postgresql://alice:p%40ss@db.internal/shop (p@ss) password=p@ss"
        let redacted = PostgresConnectionSecrets.redacting(message, secretsIn: conninfo)
        #expect(!redacted.contains("p%40ss") && !redacted.contains("p@ss"), "\(redacted)")
        #expect(PostgresConnectionSecrets.redacting("password = 'x y' fails", secretsIn: "password = 'x y'") == "password = '***' fails")
    }

    @Test func noticesGoToTheLogger() throws {
        let collected = CollectedLogs()
        let logger = Logger(label: "notices") { _ in CollectingLogHandler(logs: collected) }
        let database = try TestDatabase.make()
        defer { try? database.drop() }
        let connection = try PostgresConnection.connect(url: database.url, logger: logger)
        defer { connection.close() }
        try connection.executeScript("DO $$ BEGIN RAISE NOTICE 'hello notice'; RAISE WARNING 'careful now'; END $$")
        let entries = collected.entries
        #expect(entries.contains { $0.level == .notice && $0.message.contains("hello notice") })
        #expect(entries.contains { $0.level == .warning && $0.message.contains("careful now") })
    }

    /// libpq's environment (PGHOST, PGPORT, …) is read at connect; setenv here would race with other tests'
    /// connects, so a child test process gets it instead.
    @Test(.timeLimit(.minutes(1)))
    func connectsFromTheLibpqEnvironment() throws {
        let cluster = TestCluster.shared
        let database = try TestDatabase.make()
        defer { try? database.drop() }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let marker = scratch.appendingPathComponent("marker").path
        let outputPath = scratch.appendingPathComponent("output").path
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)

        let child = Process()
        child.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        child.arguments = ["--testing-library", "swift-testing", "--filter", "libpqEnvironmentChild"]
        var environment = ProcessInfo.processInfo.environment
        environment["PGHOST"] = cluster.socketDirectory
        environment["PGPORT"] = String(cluster.port)
        environment["PGUSER"] = "postgres"
        environment["PGDATABASE"] = database.name
        environment[LibpqEnvironmentChild.markerVariable] = marker
        child.environment = environment
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        child.standardOutput = output
        child.standardError = output
        try child.run()
        child.waitUntilExit()
        try output.close()

        let childOutput = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        #expect(child.terminationStatus == 0, "\(childOutput)")
        let seen = try? String(contentsOfFile: marker, encoding: .utf8)
        #expect(seen == "\(database.name) postgres \(database.name) postgres", "child output: \(childOutput)")
    }

    /// A port nobody listens on: bound, read, released.
    private func closedPort() throws -> Int {
        let socket = try #require(Optional(Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)))
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        #expect(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Runs only inside the child process started by `connectsFromTheLibpqEnvironment`.
@Suite struct LibpqEnvironmentChild {
    static let markerVariable = "REMEDY_LIBPQ_ENV_MARKER"

    @Test(.enabled(if: ProcessInfo.processInfo.environment[markerVariable] != nil, "runs in a child process with PG* set"))
    func libpqEnvironmentChild() throws {
        var seen: [String] = []
        for url in [nil, ""] as [String?] {
            let connection = try PostgresConnection.connect(url: url, logger: TestLogger.shared)
            defer { connection.close() }
            let row = try #require(try connection.query("SELECT current_database(), current_user").first)
            seen += [try row.decode(0, as: String.self), try row.decode(1, as: String.self)]
        }
        let marker = try #require(ProcessInfo.processInfo.environment[Self.markerVariable])
        try seen.joined(separator: " ").write(toFile: marker, atomically: true, encoding: .utf8)
    }
}
