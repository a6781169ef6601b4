import Foundation
import Postgres
import Rupiah

/// A receivable (what a clamped correction left owed) is subtracted from the user's excess by
/// every later detect, verify and revert, and its settlement (by a revert) adds it back, so a row
/// in `remedy.receivables` or `remedy.receivable_settlements` decides money: a forged receivable
/// of Rp 52.000 makes the drift job give Rp 52.000 back; a forged settlement makes it take a
/// receivable's amount again. The operator whose run writes either signs it; whoever can insert
/// into remedy's schema (and chain an audit row for it: the chain has no key) cannot. Rows written
/// before schema version 11 carry no signature, and from then on the database refuses a row
/// without one (`receivables_signed`, `receivable_settlements_signed`).
public enum ReceivableSignature {
    /// What a receivable's row says, as signed when its run opened it.
    static func opened(idempotencyKey: String, job: String, planDigest: String, userId: String, amount: Money) -> Data {
        Data("remedy/receivable/v1\nkey=\(idempotencyKey)\njob=\(job)\nplan=\(planDigest)\nuser=\(userId.utf8.count):\(userId)\namount=\(amount.exactText)\n".utf8)
    }

    /// What a settlement's row says, as signed when the revert's run wrote it.
    static func settled(receivableKey: String, revertKey: String, planDigest: String, runId: String, amount: Money) -> Data {
        Data("remedy/receivable-settlement/v1\nreceivable=\(receivableKey)\nrevert=\(revertKey)\nplan=\(planDigest)\nrun=\(runId)\namount=\(amount.exactText)\n".utf8)
    }

    /// `operatorKey`'s signature (base64) over one such statement.
    static func sign(_ message: Data, with operatorKey: SigningKey) throws -> String {
        try operatorKey.sign(message).base64EncodedString()
    }

    /// Every open receivable and every settlement in `connection`'s snapshot, checked: signed over
    /// its own fields by a key some verified approver set trusted (a key later removed still
    /// stands behind what it signed then). One that is not refuses the whole command, before
    /// anything is decided on it.
    static func requireSigned(on connection: PostgresConnection) throws {
        let receivables = try connection.query(ApplySQL.openReceivablesSigned)
        let settlements = try connection.query(ApplySQL.settlementsSigned)
        guard !receivables.isEmpty || !settlements.isEmpty else { return }
        let trusted = Set(try ApproverSetHistory(connection: connection).verifiedSets().flatMap { $0.approvers.map(\.publicKey) })
        func require(_ row: PostgresRow, signerColumn: Int, _ message: () throws -> Data, _ refusal: @autoclosure () -> String) throws {
            let (signer, signature) = (try row.decode(signerColumn, as: String?.self), try row.decode(signerColumn + 1, as: String?.self))
            // Written before version 11: the constraints let only those be unsigned.
            guard signer != nil || signature != nil else { return }
            guard let signer, let publicKey = try? PublicKeyText(validating: signer), trusted.contains(publicKey),
                  let signature, let bytes = Data(base64Encoded: signature), publicKey.isValidSignature(bytes, for: try message()) else {
                throw RemedyError(.tampered, "\(refusal()) that no trusted key signed: it was written behind remedy's back and would change its user's excess; nothing was decided on it. Find out who wrote it, and have a superuser remove it")
            }
        }
        for row in receivables {
            let key = try row.decode(0, as: String.self)
            try require(row, signerColumn: 5, {
                opened(idempotencyKey: key, job: try row.decode(1, as: String.self), planDigest: try row.decode(2, as: String.self),
                       userId: try row.decode(3, as: String.self), amount: try row.decode(4, as: Money.self))
            }, "remedy.receivables holds receivable \(key)")
        }
        for row in settlements {
            let key = try row.decode(0, as: String.self)
            try require(row, signerColumn: 5, {
                settled(receivableKey: key, revertKey: try row.decode(1, as: String.self), planDigest: try row.decode(2, as: String?.self) ?? "",
                        runId: try row.decode(3, as: String?.self) ?? "", amount: try row.decode(4, as: Money.self))
            }, "remedy.receivable_settlements holds a settlement of receivable \(key)")
        }
    }
}
