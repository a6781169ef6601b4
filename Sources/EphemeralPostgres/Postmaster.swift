import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The running server, known by the pid in `data/postmaster.pid`. pg_ctl started it, so it is not our child:
/// liveness is polled with kill(pid, 0) instead of waitpid.
enum Postmaster {
    static let pollIntervalMicroseconds: UInt32 = 20_000

    /// The first line of `postmaster.pid`.
    static func pid(dataDirectory: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
              let firstLine = text.split(separator: "\n").first
        else { return nil }
        return pid_t(firstLine.trimmingCharacters(in: .whitespaces))
    }

    /// Alive and not a zombie waiting to be reaped.
    static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        #if os(Linux)
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let afterName = stat.range(of: ") ", options: .backwards) {
            return !stat[afterName.upperBound...].hasPrefix("Z")
        }
        #endif
        return true
    }

    /// Whether `pid` is still the postmaster of `dataDirectory` (its working directory), so a recycled pid is
    /// never signalled. Where /proc is missing, the pid file is trusted.
    static func serves(_ pid: pid_t, dataDirectory: String) -> Bool {
        #if os(Linux)
        guard let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else {
            return false
        }
        let resolved = URL(fileURLWithPath: dataDirectory).resolvingSymlinksInPath().path
        return cwd == resolved || cwd == dataDirectory
        #else
        return true
        #endif
    }

    /// Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL, each with a bounded wait.
    /// Returns true once the process is gone.
    @discardableResult
    static func stop(_ pid: pid_t, fastShutdownSeconds: Double = 5, immediateShutdownSeconds: Double = 3) -> Bool {
        for (signal, waitSeconds) in [(SIGINT, fastShutdownSeconds), (SIGQUIT, immediateShutdownSeconds), (SIGKILL, 2.0)] {
            guard isAlive(pid) else { return true }
            kill(pid, signal)
            if waitUntilGone(pid, seconds: waitSeconds) { return true }
        }
        return !isAlive(pid)
    }

    static func waitUntilGone(_ pid: pid_t, seconds: Double) -> Bool {
        let polls = max(1, Int(seconds * 1_000_000 / Double(pollIntervalMicroseconds)))
        for _ in 0..<polls {
            if !isAlive(pid) { return true }
            usleep(pollIntervalMicroseconds)
        }
        return !isAlive(pid)
    }
}
