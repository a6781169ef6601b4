import Foundation
import Postgres
import Rupiah

/// A receivable (what a clamped correction left owed) is subtracted from the user's excess by
/// every later detect, verify and revert, so a row in `remedy.receivables` decides money: a forged
/// one of Rp 52.000 makes the drift job give Rp 52.000 back. The operator whose run opens it signs
/// it; whoever can insert into remedy's schema (and chain an audit row for it: the chain has no
/// key) cannot. Receivables opened before schema version 11 carry no signature, and from then
/// on the database refuses a row without one (`receivables_signed`).
public enum ReceivableSignature {
    static let context = "remedy/receivable/v1"

    /// The signed statement: each field named, the user id (the shop's text) with its length.
    static func message(idempotencyKey: String, job: String, planDigest: String, userId: String, amount: Money) -> Data {
        Data("\(context)\nkey=\(idempotencyKey)\njob=\(job)\nplan=\(planDigest)\nuser=\(userId.utf8.count):\(userId)\namount=\(amount.exactText)\n".utf8)
    }

    /// The signature (base64) `operatorKey` puts on one receivable its run opens.
    static func sign(idempotencyKey: String, job: String, planDigest: String, userId: String, amount: Money, with operatorKey: SigningKey) throws -> String {
        try operatorKey.sign(message(idempotencyKey: idempotencyKey, job: job, planDigest: planDigest, userId: userId, amount: amount)).base64EncodedString()
    }

    /// Every open receivable in `connection`'s snapshot, checked: signed over its own fields by a
    /// key some verified approver set trusted (a key later removed still stands behind what it
    /// signed then). One that is not refuses the whole command, before anything is decided on it.
    static func requireSigned(on connection: PostgresConnection) throws {
        let rows = try connection.query(ApplySQL.signedOpenReceivables)
        guard !rows.isEmpty else { return }
        let trusted = Set(try ApproverSetHistory(connection: connection).verifiedSets().flatMap { $0.approvers.map(\.publicKey) })
        for row in rows {
            let key = try row.decode(0, as: String.self)
            let (signer, signature) = (try row.decode(5, as: String?.self), try row.decode(6, as: String?.self))
            // Opened before version 11: the constraint lets only those be unsigned.
            guard signer != nil || signature != nil else { continue }
            let message = message(idempotencyKey: key, job: try row.decode(1, as: String.self), planDigest: try row.decode(2, as: String.self),
                                  userId: try row.decode(3, as: String.self), amount: try row.decode(4, as: Money.self))
            guard let signer, let publicKey = try? PublicKeyText(validating: signer), trusted.contains(publicKey),
                  let signature, let bytes = Data(base64Encoded: signature), publicKey.isValidSignature(bytes, for: message) else {
                throw RemedyError(.tampered, "remedy.receivables holds receivable \(key) that no trusted key signed: it was written behind remedy's back and would change its user's excess; nothing was decided on it. Find out who wrote it, and have a superuser remove it")
            }
        }
    }
}
