import Foundation
import Testing
@testable import RemedyCore
import Rupiah

/// Issue 10, item 7 (approvals): remedy.approvals is append-only, so on main one row by a key
/// outside the trusted set, added by anyone who can insert there, refused the plan forever.
@Suite("Adversarial: approval rows by untrusted keys")
struct ApprovalRowAttackTests {
    @Test func anUntrustedApprovalRowIsSetAsideAndReportedNotABlock() throws {
        let shop = try EndToEndShop(users: 150, seed: 1_070)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let plan = try shop.readPlan(bundle)
        let digest = String(try String(contentsOfFile: bundle + "/plan.sha256", encoding: .utf8).prefix(64))
        let eve = try SigningKey.load(path: shop.key("eve"))
        let message = ApprovalRecord.message(planDigest: digest, database: plan.database, expiresAt: plan.expiresAt)
        // With its audit row, as someone able to write remedy's tables would add it to go unnoticed.
        try shop.connection.transaction {
            try shop.connection.execute(RemedyStoreSQL.insertApproval, [digest, eve.publicKey.base64, eve.name, eve.role,
                                                                        try eve.sign(message).base64EncodedString(), "2026-01-01T00:00:00Z"])
            struct Approved: Encodable { let name: String }
            _ = try AuditLog(connection: shop.connection).append([try AuditEvent(action: "plan.approved", actor: eve.name, planDigest: digest, details: Approved(name: eve.name))])
        }
        let before = try shop.balances()
        let run = try shop.apply(bundle).requireSuccess()
        #expect(run.stderr.contains("set aside") && run.stderr.contains("eve"), "the stray approval is reported: \(run)")
        let after = try shop.balances()
        for line in plan.adjustments {
            #expect(after[line.userId] == (try Money(exactText: before[line.userId]!).adding(line.delta)).exactText, "user \(line.userId) corrected")
        }
        try shop.remedy(["audit", "verify"]).requireSuccess()
    }

    /// An approval file whose key was edited (to another valid key, here eve's) no longer matches
    /// the approval the database records for that person. It is the filed approval altered, not an
    /// extra one to set aside: before, the database's record alone still made the quorum and the
    /// tampered bundle applied (found by the reliability suite's changed-bytes test, one seed in many).
    @Test func anApprovalFileWhoseKeyWasEditedIsRefused() throws {
        let shop = try EndToEndShop(users: 150, seed: 1_071)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let eve = try SigningKey.load(path: shop.key("eve"))
        let budi = try SigningKey.load(path: shop.key("budi"))
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: bundle + "/approvals").first { $0.hasPrefix("budi") })
        let path = "\(bundle)/approvals/\(file)"
        let original = try String(contentsOfFile: path, encoding: .utf8)
        try #require(original.contains(budi.publicKey.base64))
        try original.replacingOccurrences(of: budi.publicKey.base64, with: eve.publicKey.base64).write(toFile: path, atomically: true, encoding: .utf8)
        try expectRefusal(["apply", bundle, "--key", shop.key("andi"), "--jobs", shop.jobs], in: shop,
                          mentioning: ["approval file of budi", "another key", "restore the original file"])
        try original.write(toFile: path, atomically: true, encoding: .utf8)
        try shop.apply(bundle).requireSuccess()
    }

    /// An approval or planner.json that says the same in another spelling (a name's letter
    /// escaped, a space after a colon) is not the file remedy wrote: refused at that byte by the
    /// reader of every signed document, and the bundle applies again once it is restored. The
    /// name is not in what is signed, so only the form check stands between the spelling and
    /// the file.
    @Test func aSignatureFileInAnotherSpellingIsRefusedAtItsByte() throws {
        let shop = try EndToEndShop(users: 150, seed: 1_072)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: bundle + "/approvals").first { $0.hasPrefix("budi") })
        for (path, target, replacement, at) in [
            ("\(bundle)/approvals/\(file)", #""name":"budi""#, #""name":"b\u0075di""#, 9),
            ("\(bundle)/planner.json", #""name":"andi""#, #""name": "andi""#, 7),
        ] {
            let original = try String(contentsOfFile: path, encoding: .utf8)
            let start = try #require(original.range(of: target), "\(path) holds \(target)")
            let edited = original.replacingCharacters(in: start, with: replacement)
            try edited.write(toFile: path, atomically: true, encoding: .utf8)
            let byte = original.utf8.distance(from: original.startIndex, to: start.lowerBound) + at
            try expectRefusal(["apply", bundle, "--key", shop.key("andi"), "--jobs", shop.jobs], in: shop,
                              mentioning: [path, "canonical form at byte \(byte);"])
            try original.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try shop.apply(bundle).requireSuccess()
    }
}
