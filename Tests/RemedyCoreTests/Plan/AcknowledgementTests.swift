import Foundation
import Postgres
import Testing
@testable import RemedyCore

/// `remedy acknowledge` finds the hold it marks by user id or by label, searching the plan's holds
/// a batch at a time; a label two held users share names neither.
@Suite("acknowledge: the hold found by id or by a label only it has")
struct AcknowledgementTests {
    @Test func aSharedLabelIsRefusedAndTheUserIdMarksOneHold() throws {
        let harness = try PipelineHarness(users: 300, seed: 7)
        let first = try harness.plan()
        let held = first.plan.holds.map(\.userId)
        try #require(held.count >= 3, "the shop has holds to acknowledge")
        // A shop whose usernames are not unique: two held users now share one.
        try harness.connection.executeScript("ALTER TABLE users DROP CONSTRAINT users_username_key")
        try harness.connection.execute("UPDATE users SET username = 'twin' WHERE id::text IN ($1, $2)", [held[0], held[1]])
        let bundle = try harness.plan()
        let streamed = try PlanBundle.readStreaming(bundle.path, keepingHoldsAndSettled: true)
        let acknowledgements = Acknowledgements(connection: harness.connection)
        let sari = try #require(harness.keys["sari"])

        #expect(throws: RemedyError(.badInput, "twin names 2 held users; use the user id")) {
            try acknowledgements.acknowledge(userIdOrLabel: "twin", in: streamed, reason: "known: ticket FIN-7", key: sari)
        }
        #expect(throws: RemedyError(.badInput, "nobody is not held in this plan; `remedy show PLAN` lists the holds")) {
            try acknowledgements.acknowledge(userIdOrLabel: "nobody", in: streamed, reason: "known: ticket FIN-7", key: sari)
        }
        #expect(try Self.acknowledged(harness).isEmpty, "a refusal records nothing")

        let byId = try acknowledgements.acknowledge(userIdOrLabel: held[1], in: streamed, reason: "known: ticket FIN-7", key: sari)
        #expect(byId.userId == held[1] && byId.label == "twin")
        let third = try #require(bundle.plan.holds.first { $0.userId == held[2] })
        let byLabel = try acknowledgements.acknowledge(userIdOrLabel: third.label, in: streamed, reason: "known: ticket FIN-8", key: sari)
        #expect(byLabel == third)
        #expect(try Self.acknowledged(harness) == [held[1], held[2]].sorted())
    }

    private static func acknowledged(_ harness: PipelineHarness) throws -> [String] {
        try harness.connection.query("SELECT user_id::text FROM remedy.acknowledgements ORDER BY 1").map { try $0.decode(0, as: String.self) }
    }
}
