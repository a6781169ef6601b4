import Postgres
import Rupiah

/// How far balances are from the ledger, over all users: the headline before and after a run.
public struct Reconciliation: Sendable {
    public let usersInSync: Int
    public let usersOutOfSync: Int
    /// Σ of positive drift (balances above the ledger).
    public let totalAbove: Money
    /// Σ of negative drift (balances below the ledger), as a negative amount.
    public let totalBelow: Money

    public static func measure(_ spec: JobSpec, on connection: PostgresConnection) throws -> Reconciliation {
        let rendered = try SQLTemplate.bindings(for: spec, parameters: JobParameters(values: [:])).render(ReconcileSQL.summary, file: "reconcile")
        let row = try connection.query(rendered.sql, rendered.parameters)[0]
        return Reconciliation(usersInSync: try row.decode(0, as: Int.self), usersOutOfSync: try row.decode(1, as: Int.self),
                              totalAbove: try row.decode(2, as: Money.self), totalBelow: try row.decode(3, as: Money.self))
    }
}
