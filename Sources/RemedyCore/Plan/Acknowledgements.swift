import Foundation
import Postgres
import Rupiah

/// Acknowledged holds: a person marks a held user as known, with a reason; the mark is recorded
/// with the user's numbers, signed by that person's key and audited, and it lapses as soon as
/// those numbers change. Signed because it is a person's decision shown in their name: a row
/// inserted by SQL could otherwise take a hold out of review as somebody's.
public struct Acknowledgements {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Each user's latest acknowledgement for the job (a few rows: people write them one by one).
    /// Plan reads them in its snapshot and marks each hold whose numbers match as it is decided.
    /// One signed by a key no verified approver set trusted, or not by the person it names, refuses the plan.
    func latest(job: String) throws -> Latest {
        var latest = Latest()
        let rows = try connection.query(RemedyStoreSQL.acknowledgements, [job])
        guard !rows.isEmpty else { return latest }
        let trust = try BookSignature.Trust.read(on: connection)
        for row in rows {
            let userId = try row.decode(0, as: String.self)
            let (balance, ledger, receivables) = (try row.decode(1, as: Money.self), try row.decode(2, as: Money.self), try row.decode(3, as: Money.self))
            let (reason, by) = (try row.decode(4, as: String.self), try row.decode(5, as: String.self))
            // Made before schema version 11: the constraint lets only those be unsigned.
            if let signature = try row.decode(9, as: String?.self) {
                let statement = Self.statement(installationId: trust.installationId, job: job, userId: userId, balance: balance, ledger: ledger, openReceivables: receivables, reason: reason,
                                               by: by, planDigest: try row.decode(8, as: String.self))
                guard trust.verifies(signer: try row.decode(7, as: String.self), signature: signature, over: statement, by: by) else {
                    throw RemedyError(.tampered, "remedy.acknowledgements holds an acknowledgement of user \(userId)'s hold in \(by)'s name that \(by)'s trusted key did not sign: it was written behind remedy's back; nothing was decided on it. Find out who wrote it, and have a superuser remove it")
                }
            }
            latest.byUser[userId] = (balance, ledger, receivables, Acknowledgement(by: by, at: try row.decode(6), reason: reason))
        }
        return latest
    }

    /// What the acknowledging person signs: the hold's numbers and the reason, in their name, in
    /// this installation (one signed in a staging copy with the same people's keys does not count here).
    static func statement(installationId: String, job: String, userId: String, balance: Money, ledger: Money, openReceivables: Money, reason: String, by: String,
                          planDigest: String) -> Data {
        Data("""
            remedy/acknowledgement/v1
            installation=\(installationId)
            job=\(job)
            user=\(userId.utf8.count):\(userId)
            balance=\(balance.exactText)
            ledger=\(ledger.exactText)
            receivables=\(openReceivables.exactText)
            by=\(by.utf8.count):\(by)
            plan=\(planDigest)
            reason=\(reason.utf8.count):\(reason)

            """.utf8)
    }

    struct Latest {
        var byUser: [String: (balance: Money, ledger: Money, receivables: Money, acknowledgement: Acknowledgement)] = [:]

        /// Marks the hold if its numbers are those its user's latest acknowledgement recorded.
        func mark(_ hold: inout HeldLine) {
            guard let known = byUser[hold.userId], known.balance == hold.balance,
                  known.ledger == hold.ledger, known.receivables == hold.openReceivables else { return }
            hold.acknowledged = known.acknowledgement
        }
    }

    static let holdsReadAtATime = 1_000

    /// Records that `key`'s owner knows about `userId`'s hold in `bundle`, with its numbers.
    /// The holds are searched a batch at a time: a plan of any size, in bounded memory.
    public func acknowledge(userIdOrLabel: String, in streamed: StreamedPlanBundle, reason: String, key: SigningKey) throws -> HeldLine {
        guard let holds = streamed.holds else {
            throw RemedyError(.invariant, "acknowledging needs the plan's holds; read it keeping them")
        }
        let bundle = streamed.bundle
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        let person = try store.requireTrusted(key, as: "acknowledging")
        guard try !connection.query(RemedyStoreSQL.planExists, [bundle.digest]).isEmpty else {
            throw RemedyError(.tampered, "no plan with digest \(bundle.digest.prefix(16))… is recorded in this database")
        }
        var first: HeldLine?, matchCount = 0
        try holds.forEachBatch(of: Self.holdsReadAtATime) { batch in
            for hold in batch where hold.userId == userIdOrLabel || hold.label == userIdOrLabel {
                matchCount += 1
                first = first ?? hold
            }
        }
        guard let hold = first, matchCount == 1 else {
            throw RemedyError(.badInput, matchCount == 0
                ? "\(userIdOrLabel) is not held in this plan; `remedy show PLAN` lists the holds"
                : "\(userIdOrLabel) names \(matchCount) held users; use the user id")
        }
        let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.count >= 3, trimmed.count <= 2_000 else { throw RemedyError(.badInput, "--reason must say why, in 3 to 2000 characters") }
        struct Acknowledged: Encodable { let job: String; let balance: Money; let ledger: Money; let openReceivables: Money; let excess: Money; let holdReason: HeldLine.Reason; let reason: String }
        let signature = try key.sign(Self.statement(installationId: try store.identity().installationId, job: bundle.plan.job, userId: hold.userId, balance: hold.balance, ledger: hold.ledger,
                                                    openReceivables: hold.openReceivables, reason: trimmed, by: person.name, planDigest: bundle.digest))
        try connection.transaction {
            try connection.execute(RemedyStoreSQL.insertAcknowledgement, [bundle.plan.job, hold.userId, hold.balance, hold.ledger, hold.openReceivables,
                                                                          trimmed, person.name, person.publicKey.base64, bundle.digest,
                                                                          signature.base64EncodedString()])
            try AuditLog(connection: connection).append([
                try AuditEvent(action: "hold.acknowledged", actor: person.name, planDigest: bundle.digest, userId: hold.userId,
                               details: Acknowledged(job: bundle.plan.job, balance: hold.balance, ledger: hold.ledger, openReceivables: hold.openReceivables,
                                                     excess: hold.excess, holdReason: hold.reason, reason: trimmed)),
            ])
        }
        return hold
    }
}
