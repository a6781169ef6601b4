import Foundation
import Testing

/// `remedy demo` leaves no PostgreSQL process and no directory behind, also when interrupted.
@Suite("Demo cleanup")
struct DemoInterruptTests {
    static let clusterRoot = "/tmp/remedy-pg"

    /// The throwaway clusters a process owns (their directory records the owner's pid).
    static func directories(ownedBy pid: Int32) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: clusterRoot)) ?? []
        return names.map { "\(clusterRoot)/\($0)" }.filter { directory in
            let owner = (try? String(contentsOfFile: directory + "/owner", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            return owner == String(pid)
        }
    }

    @Test(arguments: [0.3, 1.2, 2.5, 4.0])
    func ctrlCAtAnyMomentRemovesTheClusterAndItsDirectory(afterSeconds delay: Double) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try RemedyProcess.executable())
        process.arguments = ["demo", "--users", "300", "--jobs", RemedyProcess.jobsDirectory]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        Thread.sleep(forTimeInterval: delay)
        let seenDuringRun = DemoInterruptTests.directories(ownedBy: pid)
        kill(pid, SIGINT)
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(pid, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect([0, 130].contains(process.terminationStatus), "interrupted: 130; finished before the signal: 0")
        #expect(DemoInterruptTests.directories(ownedBy: pid).isEmpty, "left behind: \(DemoInterruptTests.directories(ownedBy: pid))")
        for directory in seenDuringRun {
            let pgrep = Process()
            pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
            pgrep.arguments = ["-f", "postgres -D \(directory)/data"]
            pgrep.standardOutput = FileHandle.nullDevice
            try pgrep.run()
            pgrep.waitUntilExit()
            #expect(pgrep.terminationStatus == 1, "a postmaster still serves \(directory)")
        }
    }
}
