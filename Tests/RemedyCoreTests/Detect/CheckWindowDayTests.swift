import Foundation
import Postgres
import Testing
@testable import RemedyCore

/// check's window finding counts paid top-ups by day in [since, until) and those within a day
/// either side ("if the bug ran longer, widen the window"): each bound to the microsecond.
@Suite("check counts the window's days and a day either side, to the microsecond")
struct CheckWindowDayTests {
    @Test func topUpsOnEachBoundLandInTheirDay() throws {
        let harness = try PipelineHarness(users: 30)
        let connection = harness.connection
        let parameters = try harness.parameters
        let since = try parameters.timestamp("since"), until = try parameters.timestamp("until")
        func windowFacts() throws -> [String: String] {
            let report = try SchemaCheck(spec: harness.spec, parameters: parameters).run(on: connection)
            return try #require(report.findings.first { $0.topic == "window" && $0.facts["in_window"] != nil }).facts
        }
        let before = try windowFacts()

        let day: Int64 = 86_400
        func earlier(_ t: Timestamp) -> Timestamp { Timestamp(microsecondsSinceEpoch: t.microsecondsSinceEpoch - 1) }
        let paid: [Timestamp] = [
            earlier(since.adding(seconds: -day)),  // outside, before the day before
            since.adding(seconds: -day),           // the day before
            earlier(since),                        // the day before
            since,                                 // in the window
            earlier(until),                        // in the window
            until,                                 // the day after
            earlier(until.adding(seconds: day)),   // the day after
            until.adding(seconds: day),            // outside, after the day after
        ]
        let user = try connection.query("SELECT id::text FROM users ORDER BY id LIMIT 1")[0].decode(0, as: String.self)
        for (index, at) in paid.enumerated() {
            try connection.execute("""
                INSERT INTO transactions (user_id, transaction_type, amount, status, tripay_reference, tripay_amount, tripay_paid_at, completed_at)
                VALUES ($1::uuid, 'topup', 10000, 'completed', $2, 9180, $3::timestamptz, $3::timestamptz)
                """, [user, "BOUND-\(index)", at.description])
        }

        let after = try windowFacts()
        func grew(_ name: String) throws -> Int { try #require(Int(after[name] ?? "")) - (try #require(Int(before[name] ?? ""))) }
        #expect(try grew("day_before") == 2)
        #expect(try grew("in_window") == 2)
        #expect(try grew("day_after") == 2)
    }
}
