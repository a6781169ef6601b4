import Foundation
#if canImport(Glibc)
import Glibc
#endif
import TestSupport

/// One run of the real `remedy` executable: how it ended and what it printed.
struct RemedyRun: CustomStringConvertible {
    let arguments: [String]
    let reason: Process.TerminationReason
    /// The exit code, or the signal number when `reason` is `.uncaughtSignal`.
    let status: Int32
    let stdout: String
    let stderr: String

    var exitedZero: Bool { reason == .exit && status == 0 }
    var exitedNonZero: Bool { reason == .exit && status != 0 }
    var diedOfSIGKILL: Bool { reason == .uncaughtSignal && status == SIGKILL }

    var stdoutLines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    var ending: String { reason == .exit ? "exit \(status)" : "signal \(status)" }

    /// Everything needed to understand a failed expectation.
    var description: String {
        "remedy \(arguments.joined(separator: " ")) → \(ending)\n--- stdout\n\(stdout)--- stderr\n\(stderr)---"
    }
}

/// Runs the `remedy` executable built beside this test bundle as a child process.
enum RemedyProcess {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The repository checkout this file is in.
    static let repositoryRoot: URL = TestSupport.repositoryRoot

    /// The repository's jobs directory.
    static var jobsDirectory: String { repositoryRoot.appendingPathComponent("jobs").path }

    /// `remedy` next to the running test binary (`swift build --build-tests` and `swift test` put
    /// both in the same directory), else `.build/debug/remedy` of this checkout.
    static func executable() throws -> String {
        var candidates: [String] = []
        if let testBinary = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var directory = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
            // On macOS the test binary sits inside a .xctest bundle: Contents/MacOS/…
            while directory.path.contains(".xctest") { directory = directory.deletingLastPathComponent() }
            candidates.append(directory.appendingPathComponent("remedy").path)
        }
        candidates.append(repositoryRoot.appendingPathComponent(".build/debug/remedy").path)
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw Failure(description: "the remedy executable is missing (looked at \(candidates.joined(separator: ", "))); build it with `swift build --build-tests` (or run `swift test`, which builds it)")
    }

    /// Variables the child never inherits from the test process: they would point it elsewhere.
    static func isolated(_ environment: [String: String]) -> [String: String] {
        environment.filter { key, _ in
            !(key == "DATABASE_URL" || key.hasPrefix("PG") || key.hasPrefix("REMEDY_"))
        }
    }

    /// Runs `remedy ARGUMENTS` to completion (killing it after `timeoutSeconds`). `environment` is
    /// added to the test's own environment minus anything that names a database or a remedy setting.
    /// `rawLastArgument` is appended as raw bytes (for arguments that are not valid UTF-8, which a
    /// Swift String cannot hold); the child is then started through /bin/sh.
    static func run(_ arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
                    rawLastArgument: [UInt8]? = nil, timeoutSeconds: Double = 120) throws -> RemedyRun {
        let executable = try executable()
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let stdoutURL = scratch.appendingPathComponent("stdout")
        let stderrURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        let stderrHandle = try FileHandle(forWritingTo: stderrURL)

        let process = Process()
        if let rawLastArgument {
            // sh reads the raw bytes from a file: `exec remedy ARGS "$(cat FILE)"`.
            let argumentFile = scratch.appendingPathComponent("argument")
            try Data(rawLastArgument).write(to: argumentFile)
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", #"f="$1"; shift; exec "$@" "$(cat "$f")""#, "sh", argumentFile.path, executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.environment = isolated(ProcessInfo.processInfo.environment).merging(environment) { _, new in new }
        process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory ?? scratch.path)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        try process.run()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning, Date() < deadline { usleep(5_000) }
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()  // also reaps it: a killed runner's pid is then gone, not a zombie
        try stdoutHandle.close()
        try stderrHandle.close()
        let run = RemedyRun(arguments: arguments + (rawLastArgument.map { ["<\($0.count) raw bytes>"] } ?? []),
                            reason: process.terminationReason, status: process.terminationStatus,
                            stdout: String(decoding: try Data(contentsOf: stdoutURL), as: UTF8.self),
                            stderr: String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self))
        if timedOut { throw Failure(description: "timed out after \(timeoutSeconds) s and was killed: \(run)") }
        return run
    }
}
