import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a program with posix_spawn. Not Foundation's `Process`: it hangs on `pg_ctl start`,
/// whose postmaster inherits the descriptor `Process` watches. Here the child gets stdin from /dev/null,
/// its output in files, no other descriptor of ours, and the default signal dispositions back.
/// (Public for the benchmark, which spawns `remedy` the same way and reaps it with wait4.)
public enum ChildProcess {
    /// How often a running child is polled.
    static let pollIntervalMicroseconds: UInt32 = 10_000

    /// Runs `arguments[0]` (an absolute path) and returns its exit status (128 + n if killed by signal n).
    static func run(_ arguments: [String], logPath: String, workingDirectory: String? = nil, timeoutSeconds: Int) throws -> Int32 {
        let pid = try spawn(arguments, stdoutPath: logPath, stderrPath: nil, append: true, ownProcessGroup: true,
                            workingDirectory: workingDirectory)
        EphemeralClusterRegistry.registerChild(pid)
        defer { EphemeralClusterRegistry.unregisterChild(pid) }
        let deadline = ContinuousClock.now + .seconds(timeoutSeconds)
        // Bounded by the deadline; then the child is killed and reaped.
        while true {
            var status: Int32 = 0
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid { return exitCode(status) }
            if result < 0, errno != EINTR {
                throw EphemeralPostgresError("waitpid for \(arguments[0]) failed: \(String(cString: strerror(errno)))")
            }
            if ContinuousClock.now >= deadline {
                kill(-pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw EphemeralPostgresError("\(arguments[0]) did not finish within \(timeoutSeconds) s; killed. Log: \(LogTail.lastLines(of: logPath))")
            }
            usleep(pollIntervalMicroseconds)
        }
    }

    /// Starts `arguments[0]` (an absolute path) and returns its pid; the caller reaps it. Standard
    /// error goes to `stderrPath`, or with standard output when nil. `ownProcessGroup` puts the child
    /// in a group of its own, so that `kill(-pid, …)` reaches everything it starts.
    public static func spawn(_ arguments: [String], stdoutPath: String, stderrPath: String?, append: Bool,
                             ownProcessGroup: Bool, workingDirectory: String? = nil) throws -> pid_t {
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        let mode = O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, mode, 0o644)
        if let stderrPath {
            posix_spawn_file_actions_addopen(&actions, 2, stderrPath, mode, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        if !SpawnExtensions.addCloseFrom(&actions, 3) {
            markDescriptorsCloseOnExec()
        }
        if let workingDirectory {
            _ = SpawnExtensions.addChangeDirectory(&actions, workingDirectory)
        }

        // The interrupt handler sets SIGINT/SIGTERM/SIGHUP to SIG_IGN in this process; children get the defaults back.
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE] { sigaddset(&defaultSignals, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        if ownProcessGroup {
            // Its own process group, so an interrupt can kill it with everything it started (runuser → initdb).
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let result = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
            }
        }
        guard result == 0 else {
            throw EphemeralPostgresError("could not start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Fallback when posix_spawn cannot close descriptors itself: mark every open one ≥ 3 close-on-exec.
    private static func markDescriptorsCloseOnExec() {
        let openDescriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/dev/fd"))?.compactMap { Int32($0) }
        let candidates = openDescriptors ?? Array(3..<Int32(min(Int(getdtablesize()), 65_536)))
        for descriptor in candidates where descriptor >= 3 {
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// A wait status as a shell reports it: the exit code, or 128 + n if killed by signal n.
    public static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// A NULL-terminated array of C strings, valid during `body`.
    private static func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}
