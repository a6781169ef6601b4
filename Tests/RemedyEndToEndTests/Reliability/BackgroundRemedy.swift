import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `remedy` started in the background, for tests that act on the database while it runs. Each
/// stderr line is timestamped as it arrives (apply prints one per batch and per retry), so a
/// test can see how long each batch took from outside.
final class BackgroundRemedy: @unchecked Sendable {
    struct Line { let at: Date; let text: String }

    let arguments: [String]
    let startedAt: Date
    private let process = Process()
    private let scratch: URL
    private let stdoutURL: URL
    private let stderrPipe = Pipe()
    private let lock = NSLock()
    private var lines: [Line] = []
    private let readerFinished = DispatchSemaphore(value: 0)

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        self.arguments = arguments
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-bg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        stdoutURL = scratch.appendingPathComponent("stdout")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: try RemedyProcess.executable())
        process.arguments = arguments
        process.environment = RemedyProcess.isolated(ProcessInfo.processInfo.environment).merging(environment) { _, new in new }
        process.currentDirectoryURL = scratch
        process.standardInput = FileHandle.nullDevice
        let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        process.standardOutput = stdoutHandle
        process.standardError = stderrPipe
        startedAt = Date()
        try process.run()
        try stdoutHandle.close()  // the child has its own copy
        let reading = stderrPipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            var partial = Data()
            while true {
                let chunk = reading.availableData
                if chunk.isEmpty { break }
                partial.append(chunk)
                while let newline = partial.firstIndex(of: UInt8(ascii: "\n")) {
                    let text = String(decoding: partial[partial.startIndex..<newline], as: UTF8.self)
                    partial.removeSubrange(partial.startIndex...newline)
                    lock.lock(); lines.append(Line(at: Date(), text: text)); lock.unlock()
                }
            }
            if !partial.isEmpty { lock.lock(); lines.append(Line(at: Date(), text: String(decoding: partial, as: UTF8.self))); lock.unlock() }
            readerFinished.signal()
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: scratch)
    }

    var isRunning: Bool { process.isRunning }

    /// Waits for the process to end (killing it after `timeoutSeconds`); what it printed, and
    /// its stderr lines with their arrival times.
    func wait(timeoutSeconds: Double = 120) throws -> (run: RemedyRun, stderrLines: [Line], endedAt: Date) {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning, Date() < deadline { usleep(2_000) }
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let endedAt = Date()
        readerFinished.wait()
        lock.lock(); let stderrLines = lines; lock.unlock()
        let run = RemedyRun(arguments: arguments, reason: process.terminationReason, status: process.terminationStatus,
                            stdout: String(decoding: try Data(contentsOf: stdoutURL), as: UTF8.self),
                            stderr: stderrLines.map { $0.text + "\n" }.joined())
        if timedOut { throw RemedyProcess.Failure(description: "timed out after \(timeoutSeconds) s and was killed: \(run)") }
        return (run, stderrLines, endedAt)
    }
}
