import Foundation
import Postgres
import Rupiah

/// What the database records about one plan, read in one read-only snapshot: its approvals, its
/// runs, its book in sums, the skips apply audited, and the audit chain's head; the entries its
/// lines booked (here or under another plan from the same state) and the receivables it opened
/// are looked up a batch of lines at a time, so no export holds them all.
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

    /// This plan's book in sums, as the database adds it up.
    struct Book {
        /// Σ (balance_before − balance_after) over this plan's entries (after − before for a revert).
        let moved: Money
        /// Σ amount of this plan's entries of the line's kind.
        let discovered: Money
        let users: Int
        /// Σ remedy.receivables opened by this plan.
        let receivables: Money
    }

    /// What the database records about one batch of adjustments, by idempotency key.
    struct Batch {
        let entries: [String: Entry]
        let receivables: [String: Money]
    }

    let planRecorded: Bool
    let approvals: [ApprovalRecord]
    let trusted: RemedyStore.ApproverSet?
    let runs: [Run]
    /// By user id: the latest audited skip (apply audits one per skipped line: as many as the plan's lines at most).
    let skips: [String: Skip]
    let head: (seq: Int64, hash: String)
    let book: Book
    /// The entry kind this plan's lines book: `discovered` for a correction, `revert` for a revert.
    let kind: String
    let digest: String
    /// What the book's signatures are checked against.
    let trust: BookSignature.Trust

    /// Refuses a database remedy was never initialized on, or that is not the plan's.
    static func requireReady(for bundle: PlanBundle, on connection: PostgresConnection) throws {
        do { try RemedyStore(connection: connection).requireInitialized() } catch let error as RemedyError where error.code == .notInitialized {
            throw RemedyError(.wrongDatabase, "the database reached cannot be the plan's (\(error.message)); point --database-url at the database the plan was made on, or export from the bundle alone with --offline")
        }
    }

    /// Reads the plan-wide facts; the caller holds a read-only repeatable-read transaction, in
    /// whose snapshot every batch is then looked up (`batch`).
    static func read(for bundle: PlanBundle, on connection: PostgresConnection) throws -> ExportDatabaseFacts {
        let store = RemedyStore(connection: connection)
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
        let sums = try connection.query(ExportSQL.bookOfPlan, [digest, kind])[0]
        let takenOff = try sums.decode(2, as: Money.self)
        let book = Book(moved: bundle.plan.kind == .revert ? try takenOff.negated() : takenOff, discovered: try sums.decode(1, as: Money.self),
                        users: try sums.decode(0, as: Int.self), receivables: try sums.decode(3, as: Money.self))
        var skips: [String: Skip] = [:]
        try connection.stream(ExportSQL.skipsOfPlan, [digest]) { row in
            let content = try row.decode(2, as: String.self)
            if let skip = try? CanonicalJSON.decode(Skip.self, from: Data(content.utf8)) {
                skips[try row.decode(1, as: String.self)] = skip
            }
        }
        let head = try AuditLog(connection: connection).currentHead()
        return ExportDatabaseFacts(planRecorded: planRecorded, approvals: approvals, trusted: try store.currentApproverSet(),
                                   runs: runs, skips: skips, head: head, book: book, kind: kind, digest: digest,
                                   trust: try BookSignature.Trust.read(on: connection))
    }

    /// The entries booked for these adjustments (by this plan or another from the same state) and
    /// the receivables this plan opened for them.
    /// `checkingSignatures`: each entry's, once per snapshot (the export's first pass).
    func batch(_ lines: [AdjustmentLine], on connection: PostgresConnection, checkingSignatures: Bool) throws -> Batch {
        let keys = PostgresArray(lines.map(\.idempotencyKey))
        var entries: [String: Entry] = [:]
        // What the export says was done rests on these: each signed by the operator who booked it.
        let rows = try connection.query(ExportSQL.entriesOfKeys, [keys, kind])
        if checkingSignatures { try BookSignature.requireSignedEntries(rows, trust: trust) }
        for row in rows {
            let entry = Entry(idempotencyKey: try row.decode(0, as: String.self), planDigest: try row.decode(3, as: String.self),
                              runId: try row.decode(4, as: String.self), userId: try row.decode(5, as: String.self),
                              amount: try row.decode(6, as: Money.self), balanceBefore: try row.decode(7, as: Money?.self),
                              balanceAfter: try row.decode(8, as: Money?.self))
            entries[entry.idempotencyKey] = entry
        }
        var receivables: [String: Money] = [:]
        for row in try connection.query(ExportSQL.receivablesOfKeys, [digest, keys]) {
            receivables[try row.decode(0, as: String.self)] = try row.decode(1, as: Money.self)
        }
        return Batch(entries: entries, receivables: receivables)
    }
}
