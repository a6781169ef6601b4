import Foundation
import Postgres

/// Everything an apply run leaves that two runs of the same plan on identical databases must
/// agree on: every balance, remedy's book (each entry with its amounts, before and after), the
/// receivables, and the correction audit rows per user. Run ids, times and the number of
/// interrupted runs may differ; nothing else may.
struct ApplyEndState: Equatable {
    var balances: [String: String]
    /// `key kind user amount before after`, sorted.
    var entries: [String]
    /// `key user amount settled?`, sorted.
    var receivables: [String]
    /// user → number of correction.applied audit rows.
    var correctionAuditRows: [String: Int]

    static func read(_ shop: EndToEndShop) throws -> ApplyEndState {
        let c = shop.connection
        let entries = try c.query("""
            SELECT concat_ws(' ', idempotency_key, kind, user_id, amount::text, balance_before::text, balance_after::text)
              FROM remedy.entries ORDER BY 1
            """).map { try $0.decode(0, as: String.self) }
        let receivables = try c.query("""
            SELECT concat_ws(' ', r.idempotency_key, r.user_id, r.amount::text, (s.id IS NOT NULL)::text) FROM remedy.receivables r
              LEFT JOIN remedy.receivable_settlements s ON s.receivable_key = r.idempotency_key ORDER BY 1
            """).map { try $0.decode(0, as: String.self) }
        var audit: [String: Int] = [:]
        for row in try c.query("SELECT user_id, count(*) FROM remedy.audit_log WHERE action = 'correction.applied' GROUP BY user_id") {
            audit[try row.decode(0, as: String.self)] = try row.decode(1, as: Int.self)
        }
        return ApplyEndState(balances: try shop.balances(), entries: entries, receivables: receivables, correctionAuditRows: audit)
    }

    /// What differs from `reference`, a few examples per kind, for a failure message.
    func differences(from reference: ApplyEndState) -> [String] {
        var lines: [String] = []
        let users = Set(balances.keys).union(reference.balances.keys).sorted().filter { balances[$0] != reference.balances[$0] }
        if !users.isEmpty {
            lines.append("\(users.count) balances differ, e.g. " + users.prefix(3).map { "\($0): \(balances[$0] ?? "none") vs \(reference.balances[$0] ?? "none")" }.joined(separator: "; "))
        }
        for (what, mine, theirs) in [("entries", entries, reference.entries), ("receivables", receivables, reference.receivables)] where mine != theirs {
            let extra = Set(mine).subtracting(theirs), missing = Set(theirs).subtracting(mine)
            lines.append("\(what): \(mine.count) rows vs \(theirs.count); extra \(extra.sorted().prefix(2)), missing \(missing.sorted().prefix(2))")
        }
        if correctionAuditRows != reference.correctionAuditRows {
            let twice = correctionAuditRows.filter { $0.value > 1 }.keys.sorted()
            lines.append("correction.applied audit rows differ: \(correctionAuditRows.values.reduce(0, +)) vs \(reference.correctionAuditRows.values.reduce(0, +)); audited twice: \(twice.prefix(3))")
        }
        return lines
    }
}
