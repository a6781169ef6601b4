import Foundation
import Testing

/// remedy bounds each statement of its read-only snapshots itself (`snapshot.statement_timeout_milliseconds`),
/// whatever `statement_timeout` the role or the database has by default: those are set for other
/// work (Supabase gives its API roles 3 and 8 s; check and detect take half a minute at
/// 1,000,000 users). Where remedy's own bound cancels a statement, the error says which bound
/// and where it is set, and nothing is written.
@Suite("Each snapshot statement is bounded by the job spec, not the role's default")
struct SnapshotTimeoutTests {
    /// detect made to take 1.2 s, on a database whose default statement_timeout is 0.5 s.
    @Test func aShortDefaultTimeoutDoesNotStopPlanAndTheSpecsOwnBoundIsNamed() throws {
        let shop = try EndToEndShop(users: 40, seed: 67)
        try shop.connection.execute("ALTER DATABASE \"\(shop.database.name)\" SET statement_timeout = '500ms'")
        let slow = try JobsDirectoryCopy(replacing: "  lease_seconds: 300", with: "  lease_seconds: 301")
        let detect = slow.path + "/shared/detect.sql"
        let text = try String(contentsOfFile: detect, encoding: .utf8)
        let napping = text.replacingOccurrences(of: " WHERE c.candidates IS NOT NULL\n", with: " WHERE (SELECT pg_sleep(1.2)::text) IS NOT NULL AND c.candidates IS NOT NULL\n")
        try #require(napping != text)
        try napping.write(toFile: detect, atomically: true, encoding: .utf8)
        shop.jobs = slow.path

        // The database's default is in force for a session that does not set its own.
        let probe = try shop.database.connect()
        #expect(throws: (any Error).self) { try probe.execute("SELECT pg_sleep(1)") }
        probe.close()

        let bundle = try shop.plan()
        #expect(FileManager.default.fileExists(atPath: bundle + "/plan.json"))

        // The spec's bound, set below what detect now takes: named, with where to change it.
        let bounded = try JobsDirectoryCopy(replacing: "  statement_timeout_milliseconds: 1800000", with: "  statement_timeout_milliseconds: 1000")
        try napping.write(toFile: bounded.path + "/shared/detect.sql", atomically: true, encoding: .utf8)
        let before = try DatabaseFingerprint.take(shop)
        let out = shop.directory + "/cut-short"
        let refused = try shop.remedy(["plan", "tripay-double-credit"] + shop.windowParameters
                                      + ["--key", shop.key("andi"), "--out", out, "--jobs", bounded.path])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderrLines.filter { $0.hasPrefix("remedy: error:") }
                == ["remedy: error: detect (or check's probe, in plan's snapshot) ran longer than snapshot.statement_timeout_milliseconds (1000 ms, \(bounded.path)/tripay-double-credit/job.yaml) and PostgreSQL cancelled it; nothing was written. Raise it there, or find what slowed the database"],
                "\(refused)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try DatabaseFingerprint.take(shop).differences(from: before) == [])
    }
}
