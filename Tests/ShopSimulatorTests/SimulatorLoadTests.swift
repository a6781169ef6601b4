import Foundation
import Postgres
import Rupiah
import ShopSimulator
import TestSupport
import Testing

/// The ledger identity, computed from the shop's own tables only.
let ledgerPerUserSQL = """
    SELECT u.id, u.username, u.balance,
           COALESCE(SUM(CASE WHEN t.status = 'completed' AND t.transaction_type IN ('topup', 'refund') THEN t.amount
                             WHEN t.status = 'completed' AND t.transaction_type = 'purchase' THEN -t.amount
                             ELSE 0 END), 0) AS ledger
    FROM public.users u LEFT JOIN public.transactions t ON t.user_id = u.id
    GROUP BY u.id, u.username, u.balance
    """

@Suite(.serialized) struct SimulatorLoadTests {
    @Test(arguments: TriggerVariant.allCases)
    func balanceMinusLedgerIsBugExcessPlusOtherDriftForEveryUser(variant: TriggerVariant) throws {
        try withTestDatabase { connection, _ in
            let summary = try ShopSimulator.load(SimulationOptions(seed: 7, userCount: 2_000, triggerVariant: variant), into: connection)
            #expect(summary.userCount == 2_000)
            #expect(summary.transactionCount > 2_000 * 7)

            let violations = try connection.query("""
                WITH l AS (\(ledgerPerUserSQL))
                SELECT l.username, l.balance, l.ledger, tr.bug_excess, tr.other_drift, tr.category
                FROM l FULL JOIN simulator.truth tr ON tr.user_id = l.id
                WHERE tr.user_id IS NULL OR l.id IS NULL
                   OR l.balance - l.ledger <> tr.bug_excess + tr.other_drift
                   OR l.balance <> tr.expected_balance OR l.ledger <> tr.expected_ledger
                """)
            for row in violations.prefix(10) {
                Issue.record("\(row.text(0) ?? "?"): balance \(row.text(1) ?? "-"), ledger \(row.text(2) ?? "-"), truth \(row.text(3) ?? "-") + \(row.text(4) ?? "-") (\(row.text(5) ?? "-"))")
            }
            #expect(violations.isEmpty)

            let totals = try connection.query("SELECT sum(bug_excess), sum(other_drift), count(*)::int FROM simulator.truth")
            #expect(try totals[0].decode(0, as: Money.self) == summary.totalBugExcess)
            #expect(try totals[0].decode(1, as: Money.self) == summary.totalOtherDrift)
            #expect(try totals[0].decode(2, as: Int.self) == 2_000)
        }
    }

    @Test func everyCategoryIsPresentAndHoldsItsStory() throws {
        try withTestDatabase { connection, _ in
            let summary = try ShopSimulator.load(SimulationOptions(seed: 11, userCount: 2_000), into: connection)
            // The coincidence stories are off by default (CoincidenceStoryTests).
            for category in StoryCategory.allCases where !CoincidenceStoryTests.stories.contains(category) {
                #expect((summary.usersPerCategory[category] ?? 0) > 0, "no \(category.rawValue) user")
            }
            #expect((summary.usersPerCategory[.clean] ?? 0) > 1_200)

            // Clean users carry no drift; bug stories carry bug excess; other-drift stories only other drift.
            func count(_ condition: String) throws -> Int {
                try connection.query("SELECT count(*)::int FROM simulator.truth WHERE \(condition)")[0].decode(0, as: Int.self)
            }
            #expect(try count("category = 'clean' AND (bug_excess <> 0 OR other_drift <> 0 OR handler_credits <> 0)") == 0)
            #expect(try count("category IN ('double_credit', 'redelivered', 'corrected_partial', 'lost_update', 'spent') AND bug_excess <= 0") == 0)
            #expect(try count("category IN ('double_credit', 'redelivered', 'lost_update', 'spent', 'corrected_partial') AND other_drift <> 0") == 0)
            #expect(try count("category = 'corrected_full' AND bug_excess <> 0") == 0)
            #expect(try count("category IN ('other_purchase_double', 'other_failed_purchase', 'other_unhandled_refund') AND (bug_excess <> 0 OR other_drift >= 0)") == 0)
            #expect(try count("category = 'mixed' AND (bug_excess <= 0 OR other_drift >= 0)") == 0)
            #expect(try count("category = 'wrong_correction' AND other_drift = 0") == 0)
            #expect(try count("category = 'redelivered' AND handler_credits < 2") == 0)
            #expect(try count("category = 'spent' AND bug_excess <= (SELECT balance FROM public.users u WHERE u.id = user_id)") == 0)

            // Every bug-excess user has a completed top-up paid inside the window; nobody else has one
            // the buggy handler credited (handler_credits counts exactly the window's PAID deliveries).
            let outsiders = try connection.query("""
                SELECT tr.username FROM simulator.truth tr
                WHERE tr.handler_credits > 0 AND NOT EXISTS (
                    SELECT 1 FROM public.transactions t
                    WHERE t.user_id = tr.user_id AND t.transaction_type = 'topup'
                      AND t.tripay_paid_at >= '2025-11-20T00:00:00+07' AND t.tripay_paid_at < '2025-12-02T12:00:00+07')
                """)
            #expect(outsiders.isEmpty)
            let cleanInWindow = try count("""
                category = 'clean' AND EXISTS (SELECT 1 FROM public.transactions t WHERE t.user_id = truth.user_id
                  AND t.status = 'completed' AND t.tripay_paid_at >= '2025-11-20T00:00:00+07'
                  AND t.tripay_paid_at < '2025-12-02T12:00:00+07')
                """)
            #expect(cleanInWindow == 0)

            // The lost update: a purchase completed within seconds after the top-up's payment.
            let lost = try connection.query("""
                SELECT count(*)::int FROM simulator.truth tr
                WHERE tr.category = 'lost_update' AND NOT EXISTS (
                    SELECT 1 FROM public.transactions p JOIN public.transactions t ON t.user_id = p.user_id
                    WHERE p.user_id = tr.user_id AND p.transaction_type = 'purchase' AND p.status = 'completed'
                      AND t.transaction_type = 'topup' AND p.completed_at > t.tripay_paid_at
                      AND p.completed_at <= t.tripay_paid_at + interval '15 seconds')
                """)
            #expect(try lost[0].decode(0, as: Int.self) == 0)
        }
    }

    @Test func goldenCasesHaveTheSeedsNumbers() throws {
        try withTestDatabase { connection, _ in
            _ = try ShopSimulator.load(SimulationOptions(seed: 3, userCount: 50), into: connection)
            let rows = try connection.query("""
                WITH l AS (\(ledgerPerUserSQL))
                SELECT l.username, l.balance, l.ledger, tr.bug_excess, tr.other_drift, tr.category
                FROM l JOIN simulator.truth tr ON tr.user_id = l.id
                WHERE l.username IN ('member1', 'qris_single', 'qris_series')
                """)
            var byName: [String: PostgresRow] = [:]
            for row in rows { byName[try row.decode(0, as: String.self)] = row }
            #expect(byName.count == 3)

            let member1 = try #require(byName["member1"])
            #expect(try member1.decode(1, as: Money.self) == Money(rupiah: 1_500_000))
            #expect(try member1.decode(2, as: Money.self) == Money(rupiah: 1_900_000))
            #expect(try member1.decode(3, as: Money.self) == .zero)
            #expect(try member1.decode(4, as: Money.self) == Money(rupiah: -400_000))
            #expect(try member1.decode(5, as: String.self) == "other_purchase_double")

            let single = try #require(byName["qris_single"])
            #expect(try single.decode(1, as: Money.self) == Money(rupiah: 19_180))
            #expect(try single.decode(2, as: Money.self) == Money(rupiah: 10_000))
            #expect(try single.decode(3, as: Money.self) == Money(rupiah: 9_180))

            let series = try #require(byName["qris_series"])
            #expect(try series.decode(1, as: Money.self) == Money(rupiah: 39_180))
            #expect(try series.decode(2, as: Money.self) == Money(rupiah: 30_000))
            #expect(try series.decode(3, as: Money.self) == Money(rupiah: 9_180))
            #expect(try series.decode(4, as: Money.self) == .zero)

            // member1's rows as seed 000 lists them.
            let member1Rows = try connection.query("""
                SELECT t.transaction_type, t.status, count(*)::int, sum(t.amount)
                FROM public.transactions t JOIN public.users u ON u.id = t.user_id
                WHERE u.username = 'member1' GROUP BY 1, 2 ORDER BY 1, 2
                """).map { "\(try $0.decode(0, as: String.self)) \(try $0.decode(1, as: String.self)) \(try $0.decode(2, as: Int.self)) \(try $0.decode(3, as: Money.self).exactText)" }
            #expect(member1Rows == ["purchase completed 7 1600000.00", "purchase pending 1 150000.00", "topup completed 5 3500000.00"])

            // The QRIS top-up as the callback handler stored it.
            let topup = try connection.query("""
                SELECT t.amount, t.tripay_amount, t.tripay_fee, t.tripay_total_amount, t.tripay_payment_method,
                       t.tripay_callback_data->>'amount_received', t.tripay_reference
                FROM public.transactions t JOIN public.users u ON u.id = t.user_id WHERE u.username = 'qris_single'
                """)
            #expect(topup.count == 1)
            #expect(try topup[0].decode(0, as: Money.self) == Money(rupiah: 10_000))
            #expect(try topup[0].decode(1, as: Money.self) == Money(rupiah: 9_180))
            #expect(try topup[0].decode(2, as: Money.self) == Money(rupiah: 820))
            #expect(try topup[0].decode(3, as: Money.self) == Money(rupiah: 10_000))
            #expect(try topup[0].decode(4, as: String.self) == "QRIS")
            #expect(try topup[0].decode(5, as: String.self) == "9180")
            let reference = try topup[0].decode(6, as: String.self)
            #expect(reference.range(of: #"^T[0-9]{13}[A-Z]{5}$"#, options: .regularExpression) != nil)
        }
    }

    @Test func sameSeedSameDatabaseOtherSeedDifferent() throws {
        func fingerprint(seed: UInt64) throws -> (balances: Set<String>, digest: String) {
            try withTestDatabase { connection, _ in
                _ = try ShopSimulator.load(SimulationOptions(seed: seed, userCount: 300), into: connection)
                let balances = try connection.query("SELECT id::text || ' ' || balance::text FROM public.users")
                    .map { try $0.decode(0, as: String.self) }
                let digest = try connection.query("""
                    SELECT md5(string_agg(x, E'\\n' ORDER BY x)) FROM (
                        SELECT row(t.*)::text AS x FROM public.transactions t
                        UNION ALL SELECT row(u.*)::text FROM public.users u
                        UNION ALL SELECT row(tr.*)::text FROM simulator.truth tr) s
                    """)[0].decode(0, as: String.self)
                return (Set(balances), digest)
            }
        }
        let first = try fingerprint(seed: 42)
        let again = try fingerprint(seed: 42)
        let other = try fingerprint(seed: 43)
        #expect(first.balances.count == 300)
        #expect(first.balances == again.balances)
        #expect(first.digest == again.digest)
        #expect(first.balances != other.balances)
        #expect(first.digest != other.digest)
    }

    @Test func refusesToLoadOverAnExistingShop() throws {
        try withTestDatabase { connection, _ in
            _ = try ShopSimulator.load(SimulationOptions(seed: 1, userCount: 20), into: connection)
            #expect(throws: ShopSimulatorError.self) {
                _ = try ShopSimulator.load(SimulationOptions(seed: 1, userCount: 20), into: connection)
            }
        }
    }
}
