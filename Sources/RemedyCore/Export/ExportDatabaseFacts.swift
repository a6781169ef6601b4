import Foundation
import Postgres
import Rupiah

/// What the database records about one plan, read in one read-only snapshot: its approvals, its
/// runs, the entries its lines booked (here or under another plan from the same state), the
/// receivables it opened, the skips apply audited, and the audit chain's head.
struct ExportDatabaseFacts {
    struct Run {
        let runId: String
        let operatorName: String
        let startedAt: String
        let finishedAt: String?
        let outcome: String?
    }

    struct Entry {
        let idempotencyKey: String
        let planDigest: String
        let runId: String
        let userId: String
        let amount: Money
        let balanceBefore: Money?
        let balanceAfter: Money?
    }

    struct Skip: Decodable {
        let reason: ApplyReport.Skipped.Reason
        let plannedExcess: Money
        let currentExcess: Money
        let currentBalance: Money
        let idempotencyKey: String
    }

    let planRecorded: Bool
    let approvals: [ApprovalRecord]
    let trusted: RemedyStore.ApproverSet?
    let runs: [Run]
    /// By idempotency key.
    let entries: [String: Entry]
    /// By idempotency key: amount and whether settled.
    let receivables: [String: (amount: Money, settled: Bool)]
    /// By user id: the latest audited skip.
    let skips: [String: Skip]
    let head: (seq: Int64, hash: String)

    static func read(for bundle: PlanBundle, on connection: PostgresConnection) throws -> ExportDatabaseFacts {
        let store = RemedyStore(connection: connection)
        do { try store.requireInitialized() } catch let error as RemedyError where error.code == .notInitialized {
            throw RemedyError(.wrongDatabase, "the database reached cannot be the plan's (\(error.message)); point --database-url at the database the plan was made on, or export from the bundle alone with --offline")
        }
        return try connection.transaction(TransactionOptions(isolation: .repeatableRead, readOnly: true)) {
            let identity = try store.identity()
            guard identity == bundle.plan.database else {
                throw RemedyError(.wrongDatabase, "this plan was made on \(bundle.plan.database), but the database reached is \(identity); point --database-url at the plan's database, or export with --offline from the bundle alone")
            }
            let digest = bundle.digest
            let planRecorded = try !connection.query(RemedyStoreSQL.planExists, [digest]).isEmpty
            let approvals = try connection.query(RemedyStoreSQL.approvalsOfPlan, [digest]).map { row in
                ApprovalRecord(format: ApprovalRecord.currentFormat, planDigest: digest, name: try row.decode(0, as: String.self),
                               role: try row.decode(1, as: String.self), publicKey: try PublicKeyText(validating: try row.decode(2, as: String.self)),
                               signature: try row.decode(3, as: String.self), signedAt: try row.decode(4, as: String.self))
            }
            let runs = try connection.query(ExportSQL.runsOfPlan, [digest]).map { row in
                Run(runId: try row.decode(0, as: String.self), operatorName: try row.decode(1, as: String.self),
                    startedAt: try row.decode(2, as: String.self), finishedAt: try row.decode(3, as: String?.self),
                    outcome: try row.decode(4, as: String?.self))
            }
            let kind = bundle.plan.kind == .revert ? "revert" : "discovered"
            let keys = PostgresArray(bundle.plan.adjustments.map(\.idempotencyKey))
            var entries: [String: Entry] = [:]
            for row in try connection.query(ExportSQL.bookedEntries, [digest, keys, kind]) {
                let entry = Entry(idempotencyKey: try row.decode(0, as: String.self), planDigest: try row.decode(1, as: String.self),
                                  runId: try row.decode(2, as: String.self), userId: try row.decode(3, as: String.self),
                                  amount: try row.decode(4, as: Money.self), balanceBefore: try row.decode(5, as: Money?.self),
                                  balanceAfter: try row.decode(6, as: Money?.self))
                if entries[entry.idempotencyKey] == nil { entries[entry.idempotencyKey] = entry }
            }
            var receivables: [String: (Money, Bool)] = [:]
            for row in try connection.query(ExportSQL.receivablesOfPlan, [digest]) {
                receivables[try row.decode(0, as: String.self)] = (try row.decode(2, as: Money.self), try row.decode(3, as: Bool.self))
            }
            var skips: [String: Skip] = [:]
            try connection.stream(ExportSQL.skipsOfPlan, [digest]) { row in
                let content = try row.decode(2, as: String.self)
                if let skip = try? CanonicalJSON.decode(Skip.self, from: Data(content.utf8)) {
                    skips[try row.decode(1, as: String.self)] = skip
                }
            }
            let head = try AuditLog(connection: connection).currentHead()
            return ExportDatabaseFacts(planRecorded: planRecorded, approvals: approvals, trusted: try store.currentApproverSet(),
                                       runs: runs, entries: entries, receivables: receivables, skips: skips, head: head)
        }
    }
}
