import Foundation
import Logging
import Testing
@testable import RemedyCore
import TestSupport

/// Checking a large plan takes seconds (about 4 s at 1,000,000 users) before a command shows anything:
/// it is announced, and said again while it lasts; a small plan is checked without a word.
@Suite struct PlanReadingProgressTests {
    @Test func aLargePlanIsAnnouncedAndSaidAgainWhileItIsChecked() throws {
        let bundle = try Self.bundle(planBytes: 2_000)
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        let logs = CollectedLogs()
        let result = try PlanBundle.announcingLargePlan(bundle, logger: logs.logger, announcedBytes: 1_000, intervalMilliseconds: 20) {
            Thread.sleep(forTimeInterval: 0.5)
            return 42
        }
        #expect(result == 42)
        let messages = logs.entries.map(\.message)
        #expect(messages.first == "plan: checking plan.json (0 MB): its digest, its form, its totals and every line's arithmetic")
        #expect(messages.dropFirst().contains { $0.hasPrefix("plan: still checking plan.json") }, "\(messages)")
        // The heartbeat stops with the check: a line already being said may still finish (let it),
        // but none starts after, though ten intervals pass.
        Thread.sleep(forTimeInterval: 0.3)
        let said = logs.entries.count
        Thread.sleep(forTimeInterval: 0.2)
        #expect(logs.entries.count == said)
    }

    @Test func aSmallPlanIsCheckedWithoutAWord() throws {
        let bundle = try Self.bundle(planBytes: 999)
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        let logs = CollectedLogs()
        try PlanBundle.announcingLargePlan(bundle, logger: logs.logger, announcedBytes: 1_000, intervalMilliseconds: 20) {
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(logs.entries.isEmpty)
    }

    /// A directory holding a plan.json of that many bytes (only its size is read here).
    static func bundle(planBytes: Int) throws -> String {
        let directory = NSTemporaryDirectory() + "remedy-progress-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Data(repeating: UInt8(ascii: " "), count: planBytes).write(to: URL(fileURLWithPath: directory + "/plan.json"))
        return directory
    }
}
