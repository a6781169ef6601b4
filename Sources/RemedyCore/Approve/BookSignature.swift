import Foundation
import Postgres
import Rupiah

/// The rows of remedy's book that later decisions read as money, each signed by the operator whose
/// run wrote it; whoever can insert into remedy's schema (and chain an audit row for it: the chain
/// has no key) cannot sign:
/// - a correction's entry (`discovered`, and a revert's `revert`): a revert puts back what it
///   says was taken, so a forged one would make a revert give back money never taken;
/// - a receivable (what a clamped correction left owed), subtracted from its user's excess by
///   every later detect, verify and revert: a forged Rp 52.000 makes the drift job give it back;
/// - a receivable's settlement, which adds it back: a forged one makes a plan take it again.
/// Rows written before schema version 11 carry no signature, and from then on the database refuses
/// a row without one (`entries_signed`, `receivables_signed`, `receivable_settlements_signed`).
/// Each statement names the installation: a row signed in another database (a staging copy with
/// the same people's keys) does not verify here.
enum BookSignature {
    /// What an entry's row says, as signed when its run booked it.
    static func entry(installationId: String, idempotencyKey: String, kind: String, job: String, planDigest: String, runId: String, userId: String,
                      amount: Money, balanceBefore: Money, balanceAfter: Money) -> Data {
        Data("""
            remedy/entry/v1
            installation=\(installationId)
            key=\(idempotencyKey)
            kind=\(kind)
            job=\(job)
            plan=\(planDigest)
            run=\(runId)
            user=\(userId.utf8.count):\(userId)
            amount=\(amount.exactText)
            before=\(balanceBefore.exactText)
            after=\(balanceAfter.exactText)

            """.utf8)
    }

    /// What a receivable's row says, as signed when its run opened it.
    static func opened(installationId: String, idempotencyKey: String, job: String, planDigest: String, userId: String, amount: Money) -> Data {
        Data("remedy/receivable/v1\ninstallation=\(installationId)\nkey=\(idempotencyKey)\njob=\(job)\nplan=\(planDigest)\nuser=\(userId.utf8.count):\(userId)\namount=\(amount.exactText)\n".utf8)
    }

    /// What a settlement's row says, as signed when the revert's run wrote it.
    static func settled(installationId: String, receivableKey: String, revertKey: String, planDigest: String, runId: String, amount: Money) -> Data {
        Data("remedy/receivable-settlement/v1\ninstallation=\(installationId)\nreceivable=\(receivableKey)\nrevert=\(revertKey)\nplan=\(planDigest)\nrun=\(runId)\namount=\(amount.exactText)\n".utf8)
    }

    /// `operatorKey`'s signature (base64) over one such statement.
    static func sign(_ message: Data, with operatorKey: SigningKey) throws -> String {
        try operatorKey.sign(message).base64EncodedString()
    }

    /// What a signed record (of the book, or an acknowledgement) is checked against: every
    /// approver of some verified set (a key later removed still stands behind what it signed
    /// then), and this installation.
    struct Trust {
        let approvers: [Approver]
        let keys: Set<PublicKeyText>
        let installationId: String

        static func read(on connection: PostgresConnection) throws -> Trust {
            let approvers = try ApproverSetHistory(connection: connection).verifiedSets().flatMap(\.approvers)
            return Trust(approvers: approvers, keys: Set(approvers.map(\.publicKey)),
                         installationId: try connection.query(RemedyStoreSQL.installation).first?.decode(0, as: String.self) ?? "")
        }

        /// Whether `signature` (base64) is `signer`'s (a base64 key) over `message`, and that key one
        /// trusted here: any approver's, or, given `name`, that person's.
        func verifies(signer: String, signature: String, over message: Data, by name: String? = nil) -> Bool {
            guard let key = try? PublicKeyText(validating: signer),
                  name.map({ name in approvers.contains { $0.publicKey == key && $0.name == name } }) ?? keys.contains(key),
                  let bytes = Data(base64Encoded: signature) else { return false }
            return key.isValidSignature(bytes, for: message)
        }
    }

    /// One booked correction as RevertSQL.bookedCorrections and ExportSQL.entriesOfKeys read it
    /// (key, kind, job, plan, run, user, amount, before, after, signer, signature from column 0),
    /// checked as `requireSigned` checks the receivables.
    private static func requireSignedEntry(_ row: PostgresRow, trust: Trust) throws {
        let key = try row.decode(0, as: String.self)
        try require(row, signerColumn: 9, trust: trust, {
            entry(installationId: trust.installationId, idempotencyKey: key, kind: try row.decode(1, as: String.self), job: try row.decode(2, as: String.self), planDigest: try row.decode(3, as: String.self),
                  runId: try row.decode(4, as: String.self), userId: try row.decode(5, as: String.self), amount: try row.decode(6, as: Money.self),
                  balanceBefore: try row.decode(7, as: Money.self), balanceAfter: try row.decode(8, as: Money.self))
        }, "remedy.entries holds a correction \(key)")
    }

    /// Every row of a batch checked as `requireSignedEntry` checks one, on every core (a revert or
    /// an export of a 1,000,000-user plan checks a signature per correction); the first refusal.
    static func requireSignedEntries(_ rows: [PostgresRow], trust: Trust) throws {
        let verdicts = ParallelBatch.map(rows) { row in Result { try requireSignedEntry(row, trust: trust) } }
        for verdict in verdicts { try verdict.get() }
    }

    /// A row's signer and signature (at `signerColumn` and the next) over `message`; rows written
    /// before version 11 have neither, and the constraints let only those be unsigned.
    private static func require(_ row: PostgresRow, signerColumn: Int, trust: Trust, _ message: () throws -> Data,
                                _ refusal: @autoclosure () -> String) throws {
        let (signer, signature) = (try row.decode(signerColumn, as: String?.self), try row.decode(signerColumn + 1, as: String?.self))
        guard signer != nil || signature != nil else { return }
        guard let signer, let signature, trust.verifies(signer: signer, signature: signature, over: try message()) else {
            throw RemedyError(.tampered, "\(refusal()) that no trusted key signed: it was written behind remedy's back and would change what is owed or put back; nothing was decided on it. Find out who wrote it, and have a superuser remove it")
        }
    }

    /// Every open receivable and every settlement in `connection`'s snapshot, checked: signed over
    /// its own fields by a key some verified approver set trusted (a key later removed still
    /// stands behind what it signed then). One that is not refuses the whole command, before
    /// anything is decided on it.
    /// `trust`: the caller's, where it checks entries too (read here otherwise, only if needed).
    static func requireSigned(on connection: PostgresConnection, trust: Trust? = nil) throws {
        let receivables = try connection.query(ApplySQL.openReceivablesSigned)
        let settlements = try connection.query(ApplySQL.settlementsSigned)
        guard !receivables.isEmpty || !settlements.isEmpty else { return }
        let trust = try trust ?? Trust.read(on: connection)
        for row in receivables {
            let key = try row.decode(0, as: String.self)
            try require(row, signerColumn: 5, trust: trust, {
                opened(installationId: trust.installationId, idempotencyKey: key, job: try row.decode(1, as: String.self), planDigest: try row.decode(2, as: String.self),
                       userId: try row.decode(3, as: String.self), amount: try row.decode(4, as: Money.self))
            }, "remedy.receivables holds receivable \(key)")
        }
        for row in settlements {
            let key = try row.decode(0, as: String.self)
            try require(row, signerColumn: 5, trust: trust, {
                settled(installationId: trust.installationId, receivableKey: key, revertKey: try row.decode(1, as: String.self), planDigest: try row.decode(2, as: String?.self) ?? "",
                        runId: try row.decode(3, as: String?.self) ?? "", amount: try row.decode(4, as: Money.self))
            }, "remedy.receivable_settlements holds a settlement of receivable \(key)")
        }
    }
}
