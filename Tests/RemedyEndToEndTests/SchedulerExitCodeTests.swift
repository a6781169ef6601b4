import Foundation
import Testing

/// Exit codes schedulers rely on, as terraform's -detailed-exitcode: 0 nothing beyond
/// acknowledged holds, 2 drift (a plan written), 1 an error.
@Suite("Scheduler exit codes")
struct SchedulerExitCodeTests {
    @Test func detailedExitCodesTrackDriftUntilEveryHoldIsAcknowledged() throws {
        let shop = try EndToEndShop(users: 60, seed: 61)
        let drift = try shop.remedy(["plan", "balance-drift", "--detailed-exitcode", "--key", shop.key("andi"), "--jobs", shop.jobs,
                                     "--out", shop.directory + "/night1"])
        #expect(drift.reason == .exit && drift.status == 2, "\(drift)")
        #expect(drift.stdoutLines.last == shop.directory + "/night1")

        // The scheduler's command without a policy applies nothing and also says 2.
        let waiting = try shop.remedy(["run", "balance-drift", "--key", shop.key("andi"), "--jobs", shop.jobs, "--out", shop.directory + "/runs"])
        #expect(waiting.reason == .exit && waiting.status == 2, "\(waiting)")

        // A person signs off the corrections and acknowledges every hold: then the night is quiet.
        try shop.approve(shop.directory + "/night1")
        _ = try shop.apply(shop.directory + "/night1")
        let plan = try shop.readPlan(shop.directory + "/night1")
        for hold in plan.holds {
            let acknowledged = try shop.remedy(["acknowledge", shop.directory + "/night1", "--user", hold.userId,
                                                "--reason", "known since the audit of 2025-12", "--key", shop.key("sari")])
            #expect(acknowledged.exitedZero, "\(acknowledged)")
        }
        let quiet = try shop.remedy(["plan", "balance-drift", "--detailed-exitcode", "--key", shop.key("andi"), "--jobs", shop.jobs,
                                     "--out", shop.directory + "/night2"])
        #expect(quiet.exitedZero, "\(quiet)")
        #expect(quiet.stdout.contains("no drift beyond \(plan.holds.count) acknowledged hold(s)"), "\(quiet)")
        #expect(!FileManager.default.fileExists(atPath: shop.directory + "/night2"), "no plan is written when there is nothing to do")

        let error = try shop.remedy(["plan", "balance-drift", "--detailed-exitcode", "--param", "sinse=2025-11-20T00:00:00+07:00",
                                     "--key", shop.key("andi"), "--jobs", shop.jobs])
        #expect(error.reason == .exit && error.status == 1, "\(error)")
        #expect(error.stderrLines.count == 1 && error.stderr.hasPrefix("remedy: error: unknown parameter"), "\(error)")
    }
}
