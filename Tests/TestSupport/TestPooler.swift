import Foundation
@testable import EphemeralPostgres
#if canImport(Glibc)
import Glibc
#endif

/// A real PgBouncer in `pool_mode = transaction` on 127.0.0.1 in front of the test cluster, as
/// Supabase's pooler (port 6543) is in front of a shop: consecutive transactions of one client may
/// run on different server connections. Its files live in a short temporary directory of its own;
/// it runs in the foreground as a child (posix_spawn via ChildProcess, not Foundation's Process),
/// is stopped by pid and its directory removed by `stop()` (also on deinit).
public final class TestPooler: @unchecked Sendable {
    public let port: Int
    public let directory: String
    private let pid: pid_t
    private var stopped = false

    /// Debian's pgbouncer, if installed.
    public static let executable: String? = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Tests that need PgBouncer skip themselves where it is missing, unless CI requires it.
    public static var isAvailable: Bool { executable != nil || ProcessInfo.processInfo.environment["REMEDY_REQUIRE_PGBOUNCER"] == "1" }

    /// - Parameter poolSize: server connections per database and user; make it smaller than the
    ///   number of clients so that clients share (and swap) server connections.
    public init(inFrontOf front: EphemeralCluster = TestCluster.shared, poolSize: Int = 2) throws {
        guard let executable = Self.executable else {
            throw EphemeralPostgresError("pgbouncer is not installed: `apt-get install -y pgbouncer` (CI's .ci/run does)")
        }
        port = try FreePort.pick()
        directory = "/tmp/remedy-pgb-" + RandomName.hex(length: 8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        // PgBouncer refuses to run as root: as root it switches to postgres (-u), which must own its files.
        let user = try ServerUser.current()
        try user.giveOwnership(of: directory)
        let configuration = """
            [databases]
            * = host=\(front.socketDirectory) port=\(front.port) user=postgres

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = any
            pool_mode = transaction
            default_pool_size = \(poolSize)
            min_pool_size = 0
            reserve_pool_size = 0
            max_client_conn = 200
            server_reset_query =
            logfile = \(directory)/pgbouncer.log
            pidfile = \(directory)/pgbouncer.pid

            """
        let file = directory + "/pgbouncer.ini"
        try configuration.write(toFile: file, atomically: true, encoding: .utf8)
        try user.giveOwnership(of: file)
        let arguments = [executable] + (user.owner == nil ? [] : ["-u", "postgres"]) + [file]
        pid = try ChildProcess.spawn(arguments, stdoutPath: directory + "/stdout.log", stderrPath: nil, append: true, ownProcessGroup: true)
        // Killed with the clusters if this test process is interrupted or exits without stop().
        EphemeralClusterRegistry.registerChild(pid)
        do {
            try waitUntilListening()
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// A libpq URL to `database` through the pooler.
    public func connectionURL(database: String) -> String {
        "host=127.0.0.1 port=\(port) dbname=\(database) user=postgres"
    }

    /// Stops PgBouncer (SIGINT: at once, closing every connection), reaps it, removes its directory.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGINT)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(5)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                break
            }
            usleep(10_000)
        }
        EphemeralClusterRegistry.unregisterChild(pid)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func waitUntilListening(timeoutSeconds: Double = 10) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                stopped = true
                EphemeralClusterRegistry.unregisterChild(pid)
                let log = (try? String(contentsOfFile: directory + "/pgbouncer.log", encoding: .utf8)) ?? ""
                let output = (try? String(contentsOfFile: directory + "/stdout.log", encoding: .utf8)) ?? ""
                try? FileManager.default.removeItem(atPath: directory)
                throw EphemeralPostgresError("pgbouncer exited at start: \(output.suffix(600)) \(log.suffix(600))")
            }
            if Self.accepts(port: port) { return }
            usleep(20_000)
        }
        throw EphemeralPostgresError("pgbouncer did not listen on 127.0.0.1:\(port) within \(timeoutSeconds) s")
    }

    private static func accepts(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
