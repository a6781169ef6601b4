import Foundation
import Postgres
import Rupiah

/// Acknowledged holds: a person marks a held user as known, with a reason; the mark is recorded
/// with the user's numbers and audited, and it lapses as soon as those numbers change.
public struct Acknowledgements {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Marks the holds whose numbers match their user's latest acknowledgement.
    func mark(_ holds: inout [HeldLine], job: String) throws {
        guard !holds.isEmpty else { return }
        var latest: [String: (balance: Money, ledger: Money, receivables: Money, acknowledgement: Acknowledgement)] = [:]
        for row in try connection.query(RemedyStoreSQL.acknowledgements, [job]) {
            latest[try row.decode(0, as: String.self)] = (try row.decode(1), try row.decode(2), try row.decode(3),
                Acknowledgement(by: try row.decode(5), at: try row.decode(6), reason: try row.decode(4)))
        }
        for index in holds.indices {
            guard let known = latest[holds[index].userId], known.balance == holds[index].balance,
                  known.ledger == holds[index].ledger, known.receivables == holds[index].openReceivables else { continue }
            holds[index].acknowledged = known.acknowledgement
        }
    }

    /// Records that `key`'s owner knows about `userId`'s hold in `bundle`, with its numbers.
    public func acknowledge(userIdOrLabel: String, in bundle: PlanBundle, reason: String, key: SigningKey) throws -> HeldLine {
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        let person = try store.requireTrusted(key, as: "acknowledging")
        guard try !connection.query(RemedyStoreSQL.planExists, [bundle.digest]).isEmpty else {
            throw RemedyError(.tampered, "no plan with digest \(bundle.digest.prefix(16))… is recorded in this database")
        }
        let matches = bundle.plan.holds.filter { $0.userId == userIdOrLabel || $0.label == userIdOrLabel }
        guard let hold = matches.first, matches.count == 1 else {
            throw RemedyError(.badInput, matches.isEmpty
                ? "\(userIdOrLabel) is not held in this plan; `remedy show PLAN` lists the holds"
                : "\(userIdOrLabel) names \(matches.count) held users; use the user id")
        }
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count >= 3, trimmed.count <= 2_000 else { throw RemedyError(.badInput, "--reason must say why, in 3 to 2000 characters") }
        struct Acknowledged: Encodable { let job: String; let balance: Money; let ledger: Money; let openReceivables: Money; let excess: Money; let holdReason: HeldLine.Reason; let reason: String }
        try connection.transaction {
            try connection.execute(RemedyStoreSQL.insertAcknowledgement, [bundle.plan.job, hold.userId, hold.balance, hold.ledger, hold.openReceivables,
                                                                          trimmed, person.name, person.publicKey.base64, bundle.digest])
            try AuditLog(connection: connection).append([
                try AuditEvent(action: "hold.acknowledged", actor: person.name, planDigest: bundle.digest, userId: hold.userId,
                               details: Acknowledged(job: bundle.plan.job, balance: hold.balance, ledger: hold.ledger, openReceivables: hold.openReceivables,
                                                     excess: hold.excess, holdReason: hold.reason, reason: trimmed)),
            ])
        }
        return hold
    }
}
