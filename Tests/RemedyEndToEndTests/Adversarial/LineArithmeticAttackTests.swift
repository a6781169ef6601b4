import Foundation
import Testing
@testable import RemedyCore
import Rupiah

/// Issue 10, item 4: every line's arithmetic is checked before the first write. On main apply
/// moved each line's `delta` as written, whatever its excess, precondition or key said.
@Suite("Adversarial: lines whose numbers do not add up")
struct LineArithmeticAttackTests {
    /// The plan with line `index` edited and the totals made to match (so only the line is wrong).
    static func edited(_ plan: Plan, line index: Int, _ edit: (inout AdjustmentLine) -> Void) throws -> Plan {
        var plan = plan
        edit(&plan.adjustments[index])
        plan.totals = try PlanTotals(adjustments: plan.adjustments, holds: plan.holds, settled: plan.settled, usersExamined: plan.totals.usersExamined)
        return plan
    }

    @Test func aLineTakingMoreThanItsExcessIsRefusedByEveryCommand() throws {
        let shop = try EndToEndShop(users: 150, seed: 1_040)
        let (_, plan) = try PlanForgery.legitimate(shop)
        try #require(!plan.adjustments.isEmpty)
        let forgedPlan = try Self.edited(plan, line: 0) { line in
            line.delta = Money(minorUnits: line.delta.minorUnits - 100_000_000)
            line.balanceAfter = Money(minorUnits: line.balanceAfter.minorUnits - 100_000_000)
        }
        let forged = try PlanForgery.record(try PlanForgery.encode(forgedPlan), claiming: forgedPlan, signedWith: shop.key("andi"), in: shop)
        try PlanForgery.expectEveryCommandRefuses(forged, claiming: forgedPlan, in: shop, mentioning: ["adjustment 1", "is not −(excess"])
    }

    @Test func eachBrokenRuleRefusesThePlan() throws {
        let shop = try EndToEndShop(users: 150, seed: 1_041)
        let (_, plan) = try PlanForgery.legitimate(shop)
        try #require(plan.adjustments.count >= 2)
        let last = plan.adjustments.count - 1
        let cases: [(what: String, line: Int, edit: (inout AdjustmentLine) -> Void, mentioning: String)] = [
            ("precondition", last, { $0.precondition.excess = Money(minorUnits: $0.excess.minorUnits + 1) }, "precondition"),
            ("excess without balance", 0, {
                $0.excess = Money(minorUnits: $0.excess.minorUnits + 100); $0.precondition.excess = $0.excess
                $0.delta = Money(minorUnits: $0.delta.minorUnits - 100); $0.balanceAfter = Money(minorUnits: $0.balanceAfter.minorUnits - 100)
            }, "is not balance"),
            ("balance after", 0, { $0.balanceAfter = Money(minorUnits: $0.balanceAfter.minorUnits + 1) }, "balance_after"),
            ("receivable without clamp", 0, {
                $0.receivable = Money(minorUnits: 1); $0.delta = Money(minorUnits: $0.delta.minorUnits + 1)
                $0.balanceAfter = Money(minorUnits: $0.balanceAfter.minorUnits + 1)
            }, "clamp"),
            ("key of another line", 0, { $0.idempotencyKey = plan.adjustments[last].idempotencyKey }, "idempotency key"),
            ("attribution that does not add up", 0, { line in
                line.attribution = Decomposition(topUps: line.attribution.topUps, purchases: line.attribution.purchases,
                                                 total: Money(minorUnits: line.attribution.total.minorUnits + 1), classification: line.attribution.classification)
            }, "attribution"),
        ]
        for broken in cases {
            let forgedPlan = try Self.edited(plan, line: broken.line, broken.edit)
            let forged = try PlanForgery.record(try PlanForgery.encode(forgedPlan), claiming: forgedPlan, signedWith: shop.key("andi"), in: shop)
            try PlanForgery.approve(forged.path, digest: forged.digest, claiming: forgedPlan, by: [shop.key("sari"), shop.key("budi")], in: shop)
            try expectRefusal(["apply", forged.path, "--key", shop.key("andi"), "--jobs", shop.jobs], in: shop,
                              mentioning: ["adjustment \(broken.line + 1)", broken.mentioning])
        }
        try shop.remedy(["audit", "verify"]).requireSuccess()
    }

    /// The rules are checked by several workers at once (issue 13): the refusal must still name the
    /// first broken line, as the serial whole-plan read does, whichever worker finds one first.
    @Test func theFirstBrokenLineIsNamedWhicheverWorkerFindsOne() throws {
        let shop = try EndToEndShop(users: 150, seed: 1_043)
        let (_, plan) = try PlanForgery.legitimate(shop)
        try #require(plan.adjustments.count >= 6)
        var forgedPlan = try Self.edited(plan, line: 2) { $0.balanceAfter = Money(minorUnits: $0.balanceAfter.minorUnits + 1) }
        forgedPlan = try Self.edited(forgedPlan, line: plan.adjustments.count - 1) { $0.precondition.excess = Money(minorUnits: $0.excess.minorUnits + 1) }
        let forged = try PlanForgery.record(try PlanForgery.encode(forgedPlan), claiming: forgedPlan, signedWith: shop.key("andi"), in: shop)
        let serial = Result { try PlanBundle.read(forged.path) }
        guard case .failure(let serialError) = serial else { Issue.record("the whole-plan read accepted a broken line"); return }
        #expect("\(serialError)".contains("adjustment 3"))
        for batchLines in [1, 2, 3, 1_000] {
            for _ in 0..<10 {
                // Without the skim's guess, the rules are checked in the second pass, by the workers.
                let streamed = Result { try PlanBundle.readStreaming(forged.path, keepingHoldsAndSettled: false, rulesBatchLines: batchLines, guessingRules: { _ in nil }) }
                guard case .failure(let error) = streamed else { Issue.record("batches of \(batchLines): a broken line was accepted"); return }
                #expect("\(error)" == "\(serialError)", "batches of \(batchLines)")
            }
        }
        // With it, in the reading pass, which checks lines in groups on every core.
        let guessed = Result { try PlanBundle.readStreaming(forged.path) }
        guard case .failure(let error) = guessed else { Issue.record("the reading pass accepted a broken line"); return }
        #expect("\(error)" == "\(serialError)")
    }

    /// The reading pass checks the rules against a header it has not read yet, guessed by a skim
    /// of the bytes: its verdicts must count only when the header it then decodes is the guess.
    /// A guess under which a broken line passes (clamp allows a receivable) must not let it pass,
    /// and a guess under which every line breaks (another job: no key recomputes) must not refuse.
    @Test func aGuessThatIsNotTheHeaderDecidesNothing() throws {
        let shop = try EndToEndShop(users: 150, seed: 1_044)
        let bundle = try shop.plan()
        let plan = try shop.readPlan(bundle)
        try #require(!plan.adjustments.isEmpty && plan.negativeBalancePolicy != .clamp)
        let real = AdjustmentLine.RulesContext(plan)
        func guessing(_ edit: (inout AdjustmentLine.RulesContext) -> Void) -> (PlanFile) -> AdjustmentLine.RulesGuess? {
            var context = real
            edit(&context)
            return { [context] _ in AdjustmentLine.RulesGuess(contexts: [context]) }
        }
        let anotherJob = guessing { $0.job = "another-job" }
        #expect(plan.adjustments.allSatisfy { $0.brokenRule(in: AdjustmentLine.RulesContext(kind: real.kind, job: "another-job", negativeBalancePolicy: real.negativeBalancePolicy, triggerRefires: real.triggerRefires)) != nil })
        _ = try PlanBundle.readStreaming(bundle, keepingHoldsAndSettled: false, rulesBatchLines: 1_000, guessingRules: anotherJob)
        _ = try PlanBundle.readStreaming(bundle, keepingHoldsAndSettled: false, rulesBatchLines: 1_000, guessingRules: guessing { $0.kind = .revert })

        let forgedPlan = try Self.edited(plan, line: 0) {
            $0.receivable = Money(minorUnits: 1); $0.delta = Money(minorUnits: $0.delta.minorUnits + 1)
            $0.balanceAfter = Money(minorUnits: $0.balanceAfter.minorUnits + 1)
        }
        let forged = try PlanForgery.record(try PlanForgery.encode(forgedPlan), claiming: forgedPlan, signedWith: shop.key("andi"), in: shop)
        let clamping = guessing { $0.negativeBalancePolicy = .clamp }
        #expect(forgedPlan.adjustments[0].brokenRule(in: AdjustmentLine.RulesContext(kind: real.kind, job: real.job, negativeBalancePolicy: .clamp, triggerRefires: real.triggerRefires)) == nil)
        let misled = Result { try PlanBundle.readStreaming(forged.path, keepingHoldsAndSettled: false, rulesBatchLines: 1_000, guessingRules: clamping) }
        guard case .failure(let error) = misled else { Issue.record("a guess of clamp let a receivable through under another policy"); return }
        #expect("\(error)".contains("adjustment 1") && "\(error)".contains("clamp"), "\(error)")
    }

    /// A revert line must put back what its correction took, as remedy's book says.
    @Test func aRevertLinePuttingBackMoreThanWasTakenIsRefused() throws {
        let shop = try EndToEndShop(users: 150, seed: 1_042)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        try shop.apply(bundle).requireSuccess()
        let revert = "\(shop.directory)/revert"
        try shop.remedy(["revert", bundle, "--key", shop.key("andi"), "--out", revert, "--jobs", shop.jobs]).requireSuccess()
        let plan = try shop.readPlan(revert)
        let forgedPlan = try Self.edited(plan, line: 0) { line in
            line.delta = Money(minorUnits: line.delta.minorUnits + 5_000_000)
            line.balanceAfter = Money(minorUnits: line.balanceAfter.minorUnits + 5_000_000)
        }
        let forged = try PlanForgery.record(try PlanForgery.encode(forgedPlan), claiming: forgedPlan, signedWith: shop.key("andi"), in: shop)
        try PlanForgery.approve(forged.path, digest: forged.digest, claiming: forgedPlan, by: [shop.key("sari"), shop.key("budi")], in: shop)
        try expectRefusal(["apply", forged.path, "--key", shop.key("andi"), "--jobs", shop.jobs], in: shop, mentioning: ["revert line", "the correction took"])
        // The revert as remedy made it still applies.
        try shop.approve(revert)
        try shop.apply(revert).requireSuccess()
    }
}
