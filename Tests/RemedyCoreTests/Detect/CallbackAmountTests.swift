import Foundation
import Postgres
import Testing
@testable import RemedyCore

/// A callback's amount_received field counts only as a plain decimal (at most 15 integer digits
/// and 2 decimals); detect reads it so, and check counts where each paid top-up's figure near the
/// window comes from the same way.
@Suite("A callback's amount is read alike by detect and check")
struct CallbackAmountTests {
    @Test func onlyPlainDecimalsOfFifteenDigitsAtMostAreAmounts() throws {
        let harness = try PipelineHarness(users: 20)
        func read(_ text: String) throws -> String? {
            try harness.connection.query("SELECT (\(CallbackFieldSQL.amount("$1::text")))::text", [text])[0].decode(0, as: String?.self)
        }
        for plain in ["0", "9180", "-25000", "95750.5", "95750.50", "-0.01", "123456789012345", "-123456789012345.99", "000000000000001"] {
            #expect(try read(plain) != nil, "\(plain) is a plain amount")
        }
        for other in ["1234567890123456", "-1234567890123456", "0000000000000001", "1234567890123456.5", "1.234", "1.", ".5", "--1",
                      "1e5", " 1", "1 ", "+1", "1,5", "", "-", "abc", "12.3.4", "١٢"] {
            #expect(try read(other) == nil, "\(other) is not")
        }
    }

    @Test func checkCountsEachPaidTopUpsSourceOnce() throws {
        let harness = try PipelineHarness(users: 200)
        let connection = harness.connection
        // Every paid top-up (completed, with a reference) in one of four known states, by turns.
        try connection.execute("SET session_replication_role = replica")  // the shop's balance trigger stays out of it
        try connection.execute("""
            WITH paid AS (SELECT id, row_number() OVER (ORDER BY id) % 4 AS turn FROM transactions
                           WHERE transaction_type = 'topup' AND status = 'completed' AND tripay_reference IS NOT NULL)
            UPDATE transactions t
               SET tripay_amount = CASE p.turn WHEN 3 THEN NULL ELSE 1000 END,
                   tripay_callback_data = CASE p.turn
                       WHEN 0 THEN jsonb_build_object('amount_received', '1000.00')
                       WHEN 1 THEN jsonb_build_object('amount_received', 1001)
                       WHEN 2 THEN jsonb_build_object('amount_received', '1234567890123456')
                       ELSE NULL END
              FROM paid p WHERE p.id = t.id
            """)
        try connection.execute("RESET session_replication_role")
        // check reads the source of the paid top-ups of the window and a day either side, the ones
        // a plan can correct; the others are left unread.
        let parameters = try harness.parameters
        let turns = try connection.query("""
            SELECT count(*) FILTER (WHERE turn = 0 AND near)::int, count(*) FILTER (WHERE turn = 1 AND near)::int,
                   count(*) FILTER (WHERE turn = 2 AND near)::int, count(*) FILTER (WHERE turn = 3 AND near)::int,
                   count(*) FILTER (WHERE NOT near)::int
              FROM (SELECT row_number() OVER (ORDER BY id) % 4 AS turn,
                           tripay_paid_at >= $1::timestamptz - interval '1 day' AND tripay_paid_at < $2::timestamptz + interval '1 day' AS near
                      FROM transactions
                     WHERE transaction_type = 'topup' AND status = 'completed' AND tripay_reference IS NOT NULL) p
            """, [parameters.values["since"]!, parameters.values["until"]!])[0]
        let (agree, disagree, columnOnly, none): (Int, Int, Int, Int) = (try turns.decode(0), try turns.decode(1), try turns.decode(2), try turns.decode(3))
        #expect(min(agree, disagree, columnOnly, none) > 0)
        #expect(try turns.decode(4, as: Int.self) > 0, "paid top-ups far from the window, to be left out")

        let report = try SchemaCheck(spec: harness.spec, parameters: parameters).run(on: connection)
        let facts = try #require(report.findings.first { $0.topic == "amount_received" && $0.severity == .info }).facts
        #expect(facts["rows"] == String(agree + disagree + columnOnly + none))
        #expect(facts["scope"] == "window_with_a_day_each_side")
        #expect(facts["from_callback"] == String(agree + disagree))
        #expect(facts["callback_and_column_disagree"] == String(disagree))
        #expect(facts["from_column_only"] == String(columnOnly))
        #expect(facts["null"] == String(none))
    }
}
