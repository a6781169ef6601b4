import Foundation

/// Each user's books as the database says now, in sen: the balance, the shop's ledger (completed
/// top-ups and refunds minus completed purchases), remedy's open receivables; and what the
/// simulator's truth says the excess was when it built the shop.
struct ShopBooks {
    struct User: Equatable {
        var balance: Int64
        var ledger: Int64
        var openReceivables: Int64
        /// balance − ledger − open receivables: what README calls the excess.
        var excess: Int64 { balance - ledger - openReceivables }
    }

    static func read(_ shop: EndToEndShop) throws -> [String: User] {
        var books: [String: User] = [:]
        for row in try shop.connection.query("""
            SELECT u.id::text, u.balance::text,
                   COALESCE((SELECT sum(CASE WHEN t.transaction_type IN ('topup', 'refund') THEN t.amount ELSE -t.amount END)
                               FROM transactions t
                              WHERE t.user_id = u.id AND t.status = 'completed' AND t.transaction_type IN ('topup', 'refund', 'purchase')), 0)::numeric(20,2)::text,
                   COALESCE((SELECT sum(r.amount) FROM remedy.open_receivables r WHERE r.user_id = u.id::text), 0)::numeric(20,2)::text
              FROM users u
            """) {
            books[try row.decode(0, as: String.self)] = User(balance: try Sen.parse(try row.decode(1, as: String.self)),
                                                             ledger: try Sen.parse(try row.decode(2, as: String.self)),
                                                             openReceivables: try Sen.parse(try row.decode(3, as: String.self)))
        }
        return books
    }

    /// user → bug_excess + other_drift from `simulator.truth`, in sen.
    static func truth(_ shop: EndToEndShop) throws -> [String: Int64] {
        var truth: [String: Int64] = [:]
        for row in try shop.connection.query("SELECT user_id::text, (bug_excess + other_drift)::numeric(20,2)::text FROM simulator.truth") {
            truth[try row.decode(0, as: String.self)] = try Sen.parse(try row.decode(1, as: String.self))
        }
        return truth
    }
}
