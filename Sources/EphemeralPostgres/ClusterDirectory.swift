import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One cluster's temporary directory: `/tmp/remedy-pg/<random>/` with `owner`, `data/`, `sock/`, `server.log`.
/// The root is short because a Unix socket path is limited to 107 bytes.
struct ClusterDirectory: Sendable {
    static let rootPath = "/tmp/remedy-pg"

    let path: String
    var ownerFile: String { path + "/owner" }
    var dataDirectory: String { path + "/data" }
    var socketDirectory: String { path + "/sock" }
    /// The server's own log (pg_ctl -l).
    var serverLog: String { path + "/server.log" }
    /// Output of initdb and pg_ctl.
    var setupLog: String { path + "/setup.log" }

    /// Creates the directory, records this process as its owner, and hands it to the server's user.
    static func create(for user: ServerUser) throws -> ClusterDirectory {
        // Sticky and world-writable like /tmp, so clusters of different users can share the root.
        if mkdir(rootPath, 0o1777) == 0 {
            chmod(rootPath, 0o1777)
        } else if errno != EEXIST {
            throw failure("create", rootPath)
        }
        let directory = ClusterDirectory(path: rootPath + "/" + RandomName.hex(length: 12))
        guard mkdir(directory.path, 0o700) == 0 else { throw failure("create", directory.path) }
        // The owner file comes first: it is what lets a later start sweep this directory if we crash.
        do {
            try "\(getpid())\n".write(toFile: directory.ownerFile, atomically: false, encoding: .utf8)
            for subdirectory in [directory.dataDirectory, directory.socketDirectory] {
                guard mkdir(subdirectory, 0o700) == 0 else { throw failure("create", subdirectory) }
            }
            for owned in [directory.path, directory.dataDirectory, directory.socketDirectory] {
                try user.giveOwnership(of: owned)
            }
        } catch {
            directory.remove()
            throw error
        }
        return directory
    }

    /// The pid recorded in the owner file, if readable.
    func ownerPID() -> pid_t? {
        guard let text = try? String(contentsOfFile: ownerFile, encoding: .utf8) else { return nil }
        return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// True if this call removed it (false when it was already gone, e.g. swept by another start).
    @discardableResult
    func remove() -> Bool {
        (try? FileManager.default.removeItem(atPath: path)) != nil
    }

    private static func failure(_ action: String, _ path: String) -> EphemeralPostgresError {
        EphemeralPostgresError("could not \(action) \(path): \(String(cString: strerror(errno)))")
    }
}
