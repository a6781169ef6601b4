import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A finished child: its exit status, wall time and peak resident memory (the kernel's ru_maxrss).
struct ChildResult {
    let exitStatus: Int32
    let seconds: Double
    /// Peak resident set size in bytes (wait4's rusage; Linux reports kilobytes).
    let peakRSSBytes: Int
    let stdoutPath: String
    let stderrPath: String

    var peakRSSMegabytes: Double { Double(peakRSSBytes) / 1_048_576 }

    func lastLines(ofStdout count: Int) -> [String] {
        let text = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        return Array(text.split(separator: "\n").suffix(count).map(String.init))
    }

    func tail(ofStderr count: Int) -> String {
        let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(count).joined(separator: "\n")
    }
}

/// Runs a program as a child with posix_spawn (stdin /dev/null, stdout and stderr to files, none of
/// our other descriptors) and waits for it with wait4, keeping its rusage. Foundation's `Process` is
/// not used: wait4 on the child's pid is the only way to get that child's ru_maxrss alone.
///
/// One catch: glibc's posix_spawn clones with CLONE_VM, and at exec Linux folds the high-water mark
/// of the memory the child had before exec (ours, shared) into its ru_maxrss. The benchmark holds a
/// plan and the simulator's state, so a direct child would report at least our peak. `measured` goes
/// through a small launcher, this binary started afresh (`launcherFlag`), which spawns the real child
/// and reports that child's rusage: the floor is then the launcher's own few megabytes.
enum ChildRun {
    static let launcherFlag = "--launch-and-measure"

    /// Runs `arguments` through the launcher and returns the real child's status, wall time and peak RSS.
    static func measured(_ arguments: [String], stdoutPath: String, stderrPath: String,
                         started: () -> Void = {}) throws -> ChildResult {
        let resultPath = stdoutPath + ".rusage"
        let launcher = try run([RemedyBenchmark.thisExecutable, launcherFlag, resultPath, stdoutPath, stderrPath, "--"] + arguments,
                               stdoutPath: stdoutPath + ".launcher", stderrPath: stderrPath + ".launcher", started: started)
        guard let text = try? String(contentsOfFile: resultPath, encoding: .utf8) else {
            throw BenchmarkError("the launcher for \(arguments[0]) wrote no result (exit \(launcher.exitStatus)): \(launcher.tail(ofStderr: 5))")
        }
        let fields = text.split(separator: " ").map(String.init)
        guard fields.count == 3, let status = Int32(fields[0]), let seconds = Double(fields[1]), let kilobytes = Int(fields[2]) else {
            throw BenchmarkError("the launcher's result \(resultPath) is malformed: \(text)")
        }
        return ChildResult(exitStatus: status, seconds: seconds, peakRSSBytes: kilobytes * 1024, stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    /// The launcher: `remedy-benchmark --launch-and-measure RESULT STDOUT STDERR -- PROGRAM ARGS…`.
    /// Writes "status seconds maxrss_kb" to RESULT and exits with the child's status.
    static func launch(_ arguments: [String]) -> Never {
        guard arguments.count >= 6, arguments[1] == launcherFlag, arguments[5] == "--" else {
            FileHandle.standardError.write(Data("usage: remedy-benchmark \(launcherFlag) RESULT STDOUT STDERR -- PROGRAM ARGS...\n".utf8))
            exit(2)
        }
        do {
            let child = try run(Array(arguments.dropFirst(6)), stdoutPath: arguments[3], stderrPath: arguments[4])
            try "\(child.exitStatus) \(child.seconds) \(child.peakRSSBytes / 1024)".write(toFile: arguments[2], atomically: true, encoding: .utf8)
            exit(child.exitStatus)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(70)
        }
    }

    /// A direct child (see the type's note on ru_maxrss).
    static func run(_ arguments: [String], stdoutPath: String, stderrPath: String,
                    started: () -> Void = {}) throws -> ChildResult {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        markDescriptorsCloseOnExec()

        // The cluster registry ignores SIGINT/SIGTERM/SIGHUP in this process; the child gets the defaults.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        let clock = ContinuousClock()
        let began = clock.now
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            throw BenchmarkError("could not start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        started()
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw BenchmarkError("wait4 for \(arguments[0]) failed: \(String(cString: strerror(errno)))") }
        }
        let elapsed = clock.now - began
        let signal = status & 0x7f
        return ChildResult(exitStatus: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
                           seconds: elapsed.seconds, peakRSSBytes: Int(usage.ru_maxrss) * 1024,
                           stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    /// Every open descriptor ≥ 3 close-on-exec, so the child inherits none of ours (libpq sockets, files).
    private static func markDescriptorsCloseOnExec() {
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for descriptor in open where descriptor >= 3 {
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Double { seconds * 1_000 }
}
