import Foundation
import RemedyCore
import Testing

/// Issue 10, item 6: after `remedy revert`, the reverted corrections are no longer live. A new
/// plan for the same excess takes it again, once; the reverted plan itself cannot take it again;
/// a line booked before is rechecked and any residual is reported with a non-zero exit; and
/// `remedy verify` checks every line of a plan against what the line leaves.
@Suite("Adversarial: revert, then plan again")
struct RevertReplanTests {
    fileprivate static func revert(_ bundle: String, in shop: EndToEndShop) throws -> String {
        let out = "\(shop.directory)/revert-\(UUID().uuidString.prefix(8))"
        let run = try shop.remedy(["revert", bundle, "--key", shop.key("andi"), "--out", out, "--jobs", shop.jobs]).requireSuccess()
        #expect(run.stdoutLines.last == out, "\(run)")
        return out
    }

    fileprivate static func verify(_ bundle: String, in shop: EndToEndShop) throws -> RemedyRun {
        try shop.remedy(["verify", bundle, "--jobs", shop.jobs, "--json"])
    }

    fileprivate static func json(_ run: RemedyRun) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run)")
    }

    fileprivate static func correctionEntries(_ shop: EndToEndShop) throws -> Int {
        try shop.connection.query("SELECT count(*) FROM remedy.entries WHERE kind = 'discovered'")[0].decode(0, as: Int.self)
    }

    @Test func aRevertedCorrectionIsTakenAgainByANewPlanExactlyOnceAndNotByTheRevertedPlan() throws {
        let shop = try EndToEndShop(users: 120, seed: 73)
        let first = try shop.plan()
        let lines = try shop.readPlan(first).adjustments
        try #require(!lines.isEmpty)
        try shop.approve(first)
        try shop.apply(first).requireSuccess()
        let corrected = try shop.balances()

        let undo = try Self.revert(first, in: shop)
        try shop.approve(undo)
        try shop.apply(undo).requireSuccess()
        // The revert left what it should: each user's excess is back, as the revert plan says.
        let verifiedRevert = try Self.verify(undo, in: shop)
        #expect(verifiedRevert.exitedZero, "verify of an applied revert must check what a revert leaves\n\(verifiedRevert)")
        #expect(try Self.json(verifiedRevert)["users_checked"] as? Int == lines.count, "\(verifiedRevert)")
        let reverted = try shop.balances()
        #expect(reverted != corrected)

        // The reverted plan, applied again (it has not expired): booked before, so nothing moves,
        // and the excess its lines find again is reported, not "already applied" with exit 0.
        let before = try DatabaseFingerprint.take(shop)
        let again = try shop.apply(first, json: true)
        #expect(again.exitedNonZero, "re-applying a reverted plan must not end quietly\n\(again)")
        let report = try Self.json(again)
        let residuals = (report["skipped"] as? [[String: Any]] ?? []).filter { $0["reason"] as? String == "residual" }
        #expect(residuals.count == lines.count, "every line's residual is reported\n\(again)")
        #expect((report["applied"] as? [Any])?.isEmpty == true)
        let after = try DatabaseFingerprint.take(shop)
        #expect(after.balances == before.balances, "the reverted plan moved balances again")
        #expect(after.rowCounts["remedy.entries"] == before.rowCounts["remedy.entries"])
        // verify of the first plan says the same: its users are not as it left them.
        let verifiedFirst = try Self.verify(first, in: shop)
        #expect(verifiedFirst.exitedNonZero, "\(verifiedFirst)")
        #expect((try Self.json(verifiedFirst)["residuals"] as? [Any])?.count == lines.count)

        // A new plan finds the same excess and takes it again: once.
        let second = try shop.plan()
        let twin = try shop.plan()
        let secondLines = try shop.readPlan(second).adjustments
        #expect(Set(secondLines.map(\.userId)) == Set(lines.map(\.userId)))
        #expect(Set(secondLines.map(\.idempotencyKey)).isDisjoint(with: lines.map(\.idempotencyKey)), "a reverted key is not live")
        try shop.approve(second)
        try shop.approve(twin)
        let entriesBefore = try Self.correctionEntries(shop)
        let applied = try shop.apply(second, json: true).requireSuccess()
        #expect((try Self.json(applied)["applied"] as? [Any])?.count == secondLines.count, "\(applied)")
        #expect(try shop.balances() == corrected, "taken again, to the same balances as the first time")
        #expect(try Self.correctionEntries(shop) == entriesBefore + secondLines.count)
        let verifiedSecond = try Self.verify(second, in: shop)
        #expect(verifiedSecond.exitedZero, "\(verifiedSecond)")
        #expect(try Self.json(verifiedSecond)["users_checked"] as? Int == secondLines.count, "verify checks every user of the plan\n\(verifiedSecond)")

        // Never twice: its twin, made from the same state, books nothing and finds nothing left.
        let twinRun = try shop.apply(twin, json: true).requireSuccess()
        #expect((try Self.json(twinRun)["already_applied"] as? [Any])?.count == secondLines.count, "\(twinRun)")
        #expect(try Self.correctionEntries(shop) == entriesBefore + secondLines.count)
        #expect(try shop.balances() == corrected)
        #expect(try shop.remedy(["audit", "verify"]).exitedZero)
    }
}
