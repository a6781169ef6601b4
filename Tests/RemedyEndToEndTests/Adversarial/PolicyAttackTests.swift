import Foundation
import RemedyCore
import Testing

/// Issue 10, item 5: the standing policy covers the job's code, its limits hold over a rolling
/// day from remedy's own book, and its operator is nobody who signed it. Each attack goes through
/// the real binary: an operator who can run `remedy run` as often as they like, in any working
/// directory, with any key they hold.
@Suite("Adversarial: standing policy")
struct PolicyAttackTests {
    fileprivate static func repositorySpecDigest() throws -> String {
        try JobSpec.load(directory: RemedyProcess.jobsDirectory + "/balance-drift").digest
    }

    fileprivate static func expectAuditVerifies(_ shop: EndToEndShop, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let audit = try shop.remedy(["audit", "verify"])
        #expect(audit.exitedZero, "\(audit)", sourceLocation: sourceLocation)
    }

    @Test func anEditedDetectSQLInTheWorkingDirectoryMovesNothingUnderTheSignedPolicy() throws {
        let shop = try EndToEndShop(users: 120, seed: 71)
        let signedDigest = try Self.repositorySpecDigest()
        let policy = try shop.signedPolicy(specDigests: [signedDigest])

        // The operator's own ./jobs, found before the installed one, with detect.sql edited.
        let workingDirectory = "\(shop.directory)/operator-cwd"
        try FileManager.default.createDirectory(atPath: workingDirectory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: RemedyProcess.jobsDirectory, toPath: workingDirectory + "/jobs")
        let detect = workingDirectory + "/jobs/shared/detect.sql"
        try (try String(contentsOfFile: detect, encoding: .utf8) + "\n-- tuned by the operator\n").write(toFile: detect, atomically: true, encoding: .utf8)
        let editedDigest = try JobSpec.load(directory: workingDirectory + "/jobs/balance-drift").digest
        #expect(editedDigest != signedDigest)

        let before = try DatabaseFingerprint.take(shop)
        let run = try shop.remedy(["run", "balance-drift", "--policy", policy, "--key", shop.key("andi"), "--out", shop.directory + "/runs"],
                                  workingDirectory: workingDirectory)
        try expectOneErrorLine(run, mentioning: ["policy", signedDigest, editedDigest])
        #expect(try DatabaseFingerprint.take(shop).differences(from: before).isEmpty, "the refused run wrote something")
        try Self.expectAuditVerifies(shop)

        // `policy check` refuses the same way, naming the digest a new policy would have to list.
        try expectRefusal(["policy", "check", policy, "--key", shop.key("andi"), "--jobs", workingDirectory + "/jobs"], in: shop,
                          mentioning: [signedDigest, editedDigest])
        // The signed spec itself still runs under the policy.
        let honest = try shop.remedy(["run", "balance-drift", "--policy", policy, "--key", shop.key("andi"), "--jobs", shop.jobs,
                                      "--out", shop.directory + "/runs"])
        #expect(honest.reason == .exit && [0, 2].contains(honest.status), "\(honest)")
        #expect(honest.stdout.contains("applied automatically"), "\(honest)")
    }

    @Test func runningTheNightlyJobAgainAndAgainMovesNoMoreThanOneDaysLimits() throws {
        let shop = try EndToEndShop(users: 300, seed: 51)
        let policy = try shop.signedPolicy(specDigests: [try Self.repositorySpecDigest()], maxUsers: 1)
        let run = ["run", "balance-drift", "--policy", policy, "--key", shop.key("andi"), "--jobs", shop.jobs, "--out", shop.directory + "/runs"]
        let movedAutomatically = """
            SELECT count(DISTINCT e.user_id) FROM remedy.entries e JOIN remedy.plans p ON p.digest = e.plan_digest
             WHERE p.standing_policy IS NOT NULL AND e.kind = 'discovered'
            """

        let first = try shop.remedy(run)
        #expect(first.reason == .exit && first.status == 2, "the rest waits for a person\n\(first)")
        #expect(try shop.connection.query(movedAutomatically)[0].decode(0, as: Int.self) == 1)
        // More lines inside the policy's classifications are left: the attack has something to take.
        let waiting = try #require(first.stdoutLines.last)
        let restInside = try shop.readPlan(waiting).adjustments.filter { $0.attribution.families == [.purchaseDeduction] }
        #expect(!restInside.isEmpty, "the shop should have more than one purchase deduction for this test to mean anything")

        let afterFirst = try DatabaseFingerprint.take(shop)
        for _ in 0..<4 {
            let again = try shop.remedy(run)
            #expect(again.reason == .exit && again.status == 2, "\(again)")
            #expect(!again.stdout.contains("applied automatically"), "a later run the same day applied under the policy\n\(again)")
        }
        #expect(try shop.connection.query(movedAutomatically)[0].decode(0, as: Int.self) == 1,
                "five runs moved more users than the policy's max_users (1) in a day")
        let afterFive = try DatabaseFingerprint.take(shop)
        #expect(afterFive.balances == afterFirst.balances, "a later run the same day moved balances")
        #expect(afterFive.rowCounts["remedy.entries"] == afterFirst.rowCounts["remedy.entries"])
        try Self.expectAuditVerifies(shop)
    }

    @Test func theOperatorIsNotOneOfTheSignersUnderAnotherKey() throws {
        // sari signs policies as finance and also holds the scheduler's operator key.
        let people = EndToEndShop.defaultPeople + [EndToEndShop.Person("sari", "operator", file: "sari-operator")]
        let shop = try EndToEndShop(users: 120, seed: 72, people: people)
        let policy = try shop.signedPolicy(specDigests: [try Self.repositorySpecDigest()])
        try expectRefusal(["run", "balance-drift", "--policy", policy, "--key", shop.key("sari-operator"), "--jobs", shop.jobs,
                           "--out", shop.directory + "/runs"], in: shop, mentioning: ["sari", "cannot also be its operator"])
        try expectRefusal(["policy", "check", policy, "--key", shop.key("sari-operator"), "--jobs", shop.jobs], in: shop,
                          mentioning: ["sari", "cannot also be its operator"])
        try Self.expectAuditVerifies(shop)
    }
}
