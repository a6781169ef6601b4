import EphemeralPostgres
import Foundation
import Logging
import Testing

/// SIGTERM to a process holding a cluster: the handler stops the server, removes its directory and exits 143.
/// The signal needs a process of its own, so a child test process plays the victim.
@Suite struct InterruptCleanupTests {
    static let markerVariable = "REMEDY_INTERRUPT_CHILD_MARKER"

    @Test(.timeLimit(.minutes(1)))
    func terminationStopsTheClusterAndExits143() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-interrupt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let marker = scratch.appendingPathComponent("marker").path
        let outputPath = scratch.appendingPathComponent("output").path
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)

        let child = Process()
        child.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        child.arguments = ["--testing-library", "swift-testing", "--filter", "interruptVictimChild"]
        child.environment = ProcessInfo.processInfo.environment.merging([Self.markerVariable: marker]) { $1 }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        child.standardOutput = output
        child.standardError = output
        try child.run()

        // The child writes "<postmaster pid> <directory>" once its cluster is up.
        var written: [Substring] = []
        for _ in 0..<600 where written.count != 2 {
            usleep(50_000)
            written = ((try? String(contentsOfFile: marker, encoding: .utf8)) ?? "").split(separator: " ")
        }
        let childOutput = { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
        guard written.count == 2, let postmaster = Int32(written[0]) else {
            child.terminate()
            child.waitUntilExit()
            Issue.record("the child never reported its cluster: \(childOutput())")
            return
        }
        let directory = String(written[1])
        #expect(kill(postmaster, 0) == 0)

        child.terminate()  // SIGTERM
        child.waitUntilExit()
        try output.close()

        #expect(child.terminationReason == .exit && child.terminationStatus == 143, "\(child.terminationReason) \(child.terminationStatus): \(childOutput())")
        #expect(!FileManager.default.fileExists(atPath: directory))
        var gone = false
        for _ in 0..<100 where !gone {
            let stat = (try? String(contentsOfFile: "/proc/\(postmaster)/stat", encoding: .utf8)) ?? ""
            // Gone, or exited and waiting for init to reap it.
            gone = stat.isEmpty || stat.range(of: ") ", options: .backwards).map { stat[$0.upperBound...].hasPrefix("Z") } == true
            if !gone { usleep(50_000) }
        }
        #expect(gone, "postmaster \(postmaster) still runs")
    }
}

/// Runs only in the child started above.
@Suite struct InterruptVictimChild {
    @Test(.enabled(if: ProcessInfo.processInfo.environment[InterruptCleanupTests.markerVariable] != nil, "runs in a child process that gets SIGTERM"))
    func interruptVictimChild() throws {
        EphemeralClusterRegistry.installInterruptHandlers()
        let cluster = try EphemeralCluster.start(logger: Logger(label: "remedy.tests.victim"))
        let marker = try #require(ProcessInfo.processInfo.environment[InterruptCleanupTests.markerVariable])
        try "\(cluster.postmasterPID) \(cluster.directoryPath)".write(toFile: marker, atomically: true, encoding: .utf8)
        // Wait for the parent's SIGTERM, which ends this process; bounded in case it never comes.
        for _ in 0..<600 { usleep(50_000) }
        Issue.record("no SIGTERM arrived within 30 s")
        cluster.stop()
    }
}
