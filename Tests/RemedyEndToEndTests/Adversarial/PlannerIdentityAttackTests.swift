import Foundation
import Testing
@testable import RemedyCore

/// Issue 10, item 2: who made a plan is a signature, not a claim. On main plan.json's `planner`
/// was whatever the file said, so budi could plan, write andi in as planner, and approve his own plan.
@Suite("Adversarial: the planner's identity")
struct PlannerIdentityAttackTests {
    @Test func aPlanClaimingAnotherPlannerIsRefusedByEveryCommand() throws {
        let shop = try EndToEndShop(users: 150, seed: 1_020)
        let (_, budisPlan) = try PlanForgery.legitimate(shop, by: "budi")
        let andi = try SigningKey.load(path: shop.key("andi"))
        var claimed = budisPlan
        claimed.planner = Approver(name: andi.name, role: andi.role, publicKey: andi.publicKey)
        // budi signs with his own key, under andi's name: the only signature he can make.
        let forged = try PlanForgery.record(try PlanForgery.encode(claimed), claiming: claimed, signedWith: shop.key("budi"), in: shop)
        try PlanForgery.expectEveryCommandRefuses(forged, claiming: claimed, in: shop, mentioning: ["planner", "signature"])
    }

    @Test func aPlanWithoutThePlannersSignatureIsRefused() throws {
        let shop = try EndToEndShop(users: 120, seed: 1_021)
        let bundle = try shop.plan()
        try FileManager.default.removeItem(atPath: bundle + "/" + PlannerSignature.file)
        try expectRefusal(["show", bundle], in: shop, mentioning: ["planner.json", "missing"])
        try expectRefusal(["approve", bundle, "--key", shop.key("sari")], in: shop, mentioning: ["planner.json", "missing"])
    }

    /// A signature that verifies but is not the one recorded with the plan (the planner re-signed
    /// the same digest later, or a file from elsewhere): apply trusts the database's record.
    @Test func aPlannerSignatureOtherThanTheRecordedOneIsRefusedAtApply() throws {
        let shop = try EndToEndShop(users: 120, seed: 1_022)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let plan = try shop.readPlan(bundle)
        let digest = String(try String(contentsOfFile: bundle + "/plan.sha256", encoding: .utf8).prefix(64))
        // Ed25519 in swift-crypto signs with randomness on some platforms; sign until it differs.
        var other = try PlannerSignature.load(bundle)
        for _ in 0..<4 where other == (try PlannerSignature.load(bundle)) {
            other = try PlannerSignature.sign(planDigest: digest, plan: plan, with: try SigningKey.load(path: shop.key("andi")))
        }
        guard other != (try PlannerSignature.load(bundle)) else { return }  // deterministic signatures: nothing to swap
        try FileManager.default.removeItem(atPath: bundle + "/" + PlannerSignature.file)
        try other.write(into: bundle)
        try expectRefusal(["apply", bundle, "--key", shop.key("andi"), "--jobs", shop.jobs], in: shop, mentioning: ["not the one recorded"])
    }
}
