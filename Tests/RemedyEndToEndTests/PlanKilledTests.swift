import Foundation
import RemedyCore
import Testing

/// A plan spools every line (customers' labels, balances and amounts) before it writes the
/// bundle. Killed there, as a crash or an OOM kill would, it must leave none of it on disk.
@Suite("Plan killed mid-run leaves no customer data behind")
struct PlanKilledTests {
    @Test func aPlanKilledWithEveryLineSpooledLeavesNothingInItsDirectory() throws {
        let shop = try EndToEndShop(users: 300, seed: 33)
        let parent = shop.directory + "/plans"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let arguments = ["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--jobs", shop.jobs]

        let killed = try shop.remedy(arguments + ["--out", parent + "/killed"], environment: [FaultInjection.environmentVariable: "1"])
        #expect(killed.diedOfSIGKILL, "REMEDY_FAULT_KILL_AT=1 should kill plan once its lines are spooled\n\(killed)")
        #expect(killed.stderr.contains("every line spooled"), "\(killed)")
        let left = try FileManager.default.contentsOfDirectory(atPath: parent)
        #expect(left.isEmpty, "the killed plan's spools and bundle must be gone: \(left)")
        #expect(try shop.count("remedy.plans") == 0, "nothing recorded")

        // The same plan, not killed, still writes and records its bundle there.
        let planned = try shop.remedy(arguments + ["--out", parent + "/planned"]).requireSuccess()
        #expect(planned.stdoutLines.last == parent + "/planned")
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["planned"])
    }
}
