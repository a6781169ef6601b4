import Foundation
import Testing
import TestSupport

/// `remedy run` tells people about every failure, once: the webhook gets exactly one `run_failed`
/// whether the run fails before it starts (a database that cannot be reached) or inside it.
@Suite("remedy run: one run_failed notification per failure")
struct RunNotificationTests {
    @Test func anUnreachableDatabaseIsNotifiedOnce() throws {
        let server = try LocalHTTPServer()
        let scratch = NSTemporaryDirectory() + "remedy-notify-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try RemedyProcess.run(["keygen", "--name", "nightly", "--role", "operator", "--out", scratch + "/nightly.key"]).requireSuccess()

        // Port 1 on loopback: nothing listens, the connection is refused at once.
        let run = try RemedyProcess.run(["run", "balance-drift", "--key", scratch + "/nightly.key", "--jobs", RemedyProcess.jobsDirectory,
                                         "--out", scratch + "/plans", "--database-url", "postgresql://remedy@127.0.0.1:1/shop"],
                                        environment: ["REMEDY_WEBHOOK_URL": server.url])
        #expect(run.exitedNonZero, "\(run)")
        #expect(server.requestCount == 1, "one notification, not \(server.requestCount): \(run)")
        let body = try #require(server.bodies.first)
        #expect(body["event"] as? String == "run_failed")
        #expect((body["text"] as? String)?.contains("could not connect") == true, "\(body)")
    }

    @Test func aFailureInsideTheRunIsNotifiedOnce() throws {
        // Without `remedy init` the run connects, then refuses: the failure happens inside the run.
        let shop = try EndToEndShop(users: 30, seed: 62, initialize: false)
        let server = try LocalHTTPServer()
        let run = try shop.remedy(["run", "balance-drift", "--key", shop.key("andi"), "--jobs", shop.jobs, "--out", shop.directory + "/plans"],
                                  environment: ["REMEDY_WEBHOOK_URL": server.url])
        #expect(run.exitedNonZero, "\(run)")
        #expect(server.requestCount == 1, "one notification, not \(server.requestCount): \(server.bodies)")
        #expect(server.bodies.allSatisfy { $0["event"] as? String == "run_failed" })
    }
}
