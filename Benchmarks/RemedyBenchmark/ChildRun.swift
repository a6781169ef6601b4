import EphemeralPostgres
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A finished child: its exit status, wall time, peak resident memory (the kernel's ru_maxrss) and
/// CPU time, and what the whole machine's cores did while it ran.
struct ChildResult {
    let exitStatus: Int32
    let seconds: Double
    /// Peak resident set size in bytes (wait4's rusage; Linux reports kilobytes).
    let peakRSSBytes: Int
    /// The child's CPU time, user and system, over all its threads (wait4's rusage).
    let cpuSeconds: Double
    /// Every core's busy time while the child ran (ChildRun.measured only; nil without /proc/stat).
    var machine: MachineCPU.Interval?
    let stdoutPath: String
    let stderrPath: String

    var peakRSSMegabytes: Double { Double(peakRSSBytes) / 1_048_576 }

    /// "CPU: remedy 17.3 s, the machine busy 49.2 of 53.5 core-s (92%)": on a machine that also
    /// runs the server, whether the cores were the limit and how much of their time was remedy's.
    var cpuDescribed: String {
        let own = "CPU: remedy \(format(cpuSeconds, digits: 1)) s"
        guard let machine else { return own }
        return own + ", the machine busy \(format(machine.busySeconds, digits: 1)) of \(format(machine.availableSeconds, digits: 1)) core-s (\(format(machine.busyShare * 100, digits: 0))%)"
    }

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
        let before = MachineCPU.now()
        let launcher = try run([RemedyBenchmark.thisExecutable, launcherFlag, resultPath, stdoutPath, stderrPath, "--"] + arguments,
                               stdoutPath: stdoutPath + ".launcher", stderrPath: stderrPath + ".launcher", started: started)
        guard let text = try? String(contentsOfFile: resultPath, encoding: .utf8) else {
            throw BenchmarkError("the launcher for \(arguments[0]) wrote no result (exit \(launcher.exitStatus)): \(launcher.tail(ofStderr: 5))")
        }
        let fields = text.split(separator: " ").map(String.init)
        guard fields.count == 4, let status = Int32(fields[0]), let seconds = Double(fields[1]), let kilobytes = Int(fields[2]),
              let cpuSeconds = Double(fields[3]) else {
            throw BenchmarkError("the launcher's result \(resultPath) is malformed: \(text)")
        }
        // The launcher's own start-up and wait are in the interval too: milliseconds.
        return ChildResult(exitStatus: status, seconds: seconds, peakRSSBytes: kilobytes * 1024, cpuSeconds: cpuSeconds,
                           machine: MachineCPU.between(before, MachineCPU.now()), stdoutPath: stdoutPath, stderrPath: stderrPath)
    }

    /// The launcher: `remedy-benchmark --launch-and-measure RESULT STDOUT STDERR -- PROGRAM ARGS…`.
    /// Writes "status seconds maxrss_kb cpu_seconds" to RESULT and exits with the child's status.
    static func launch(_ arguments: [String]) -> Never {
        guard arguments.count >= 6, arguments[1] == launcherFlag, arguments[5] == "--" else {
            FileHandle.standardError.write(Data("usage: remedy-benchmark \(launcherFlag) RESULT STDOUT STDERR -- PROGRAM ARGS...\n".utf8))
            exit(2)
        }
        do {
            let child = try run(Array(arguments.dropFirst(6)), stdoutPath: arguments[3], stderrPath: arguments[4])
            try "\(child.exitStatus) \(child.seconds) \(child.peakRSSBytes / 1024) \(child.cpuSeconds)".write(toFile: arguments[2], atomically: true, encoding: .utf8)
            exit(child.exitStatus)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(70)
        }
    }

    /// A direct child (see the type's note on ru_maxrss), spawned as the cluster's setup commands are.
    static func run(_ arguments: [String], stdoutPath: String, stderrPath: String,
                    started: () -> Void = {}) throws -> ChildResult {
        let clock = ContinuousClock()
        let began = clock.now
        let pid = try ChildProcess.spawn(arguments, stdoutPath: stdoutPath, stderrPath: stderrPath, append: false, ownProcessGroup: false)
        started()
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw BenchmarkError("wait4 for \(arguments[0]) failed: \(String(cString: strerror(errno)))") }
        }
        return ChildResult(exitStatus: ChildProcess.exitCode(status), seconds: (clock.now - began).seconds,
                           peakRSSBytes: Int(usage.ru_maxrss) * 1024, cpuSeconds: usage.ru_utime.seconds + usage.ru_stime.seconds,
                           stdoutPath: stdoutPath, stderrPath: stderrPath)
    }
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension timeval {
    var seconds: Double { Double(tv_sec) + Double(tv_usec) / 1_000_000 }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var milliseconds: Double { seconds * 1_000 }
}
