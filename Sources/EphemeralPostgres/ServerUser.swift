import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who runs initdb and pg_ctl: this process, or (as root, which they refuse) the `postgres` OS user via runuser.
struct ServerUser: Sendable {
    /// Set when running as root: the files the server writes must belong to this user.
    let owner: (uid: uid_t, gid: gid_t)?
    /// Prepended to every server command, e.g. `["/usr/sbin/runuser", "-u", "postgres", "--"]`.
    let commandPrefix: [String]

    static func current() throws -> ServerUser {
        guard geteuid() == 0 else { return ServerUser(owner: nil, commandPrefix: []) }
        guard let entry = getpwnam("postgres") else {
            throw EphemeralPostgresError("running as root: initdb and pg_ctl refuse root, and there is no OS user named postgres to run them as")
        }
        let candidates = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]
        guard let runuser = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw EphemeralPostgresError("running as root: initdb and pg_ctl refuse root, and runuser was not found (looked in \(candidates.joined(separator: ", ")))")
        }
        return ServerUser(owner: (entry.pointee.pw_uid, entry.pointee.pw_gid), commandPrefix: [runuser, "-u", "postgres", "--"])
    }

    /// Hands `path` to the server's user (no-op when not root).
    func giveOwnership(of path: String) throws {
        guard let owner else { return }
        guard chown(path, owner.uid, owner.gid) == 0 else {
            throw EphemeralPostgresError("could not chown \(path) to postgres: \(String(cString: strerror(errno)))")
        }
    }
}
