import Foundation
import Postgres

/// An audit chain head signed by the operator who ran apply (or `remedy run`), so that people
/// outside the database keep heads they can tell are genuine: each apply run's final head goes
/// into its run report and the export, each notification carries the head at that moment, and
/// `remedy audit verify --head` checks the signature, the signer's trust, the database, and that
/// the chain still reaches that row with that hash. Deleting or rewriting the tail after it was
/// signed shows; so does a head someone made up.
public struct SignedAuditHead: Codable, Sendable, Equatable {
    public static let currentFormat = "remedy-audit-head/v1"
    public var format: String
    public var hash: String
    /// The row the head is: the chain must hold `hash` at exactly this row.
    public var seq: Int64
    public var database: DatabaseIdentity
    public var signedAt: String
    public var name: String
    public var role: String
    public var publicKey: PublicKeyText
    /// Base64 of the 64-byte Ed25519 signature over `message`.
    public var signature: String

    /// What is signed: a context string (so no approval or policy signature can pass for a head,
    /// nor the reverse), the head, its row, the database and the time.
    public static func message(hash: String, seq: Int64, database: DatabaseIdentity, signedAt: String) -> Data {
        Data("""
        remedy/audit-head/v1
        head=\(hash)
        seq=\(seq)
        installation=\(database.installationId)
        database=\(database.databaseName)
        system=\(database.systemIdentifier ?? "-")
        at=\(signedAt)

        """.utf8)
    }

    public static func sign(hash: String, seq: Int64, database: DatabaseIdentity, signedAt: String, with key: SigningKey) throws -> SignedAuditHead {
        let signature = try key.sign(message(hash: hash, seq: seq, database: database, signedAt: signedAt))
        return SignedAuditHead(format: currentFormat, hash: hash, seq: seq, database: database, signedAt: signedAt, name: key.name,
                               role: key.role, publicKey: key.publicKey, signature: signature.base64EncodedString())
    }

    /// The chain's head now, signed. Outside a transaction: the head read is a committed one.
    public static func current(on connection: PostgresConnection, signedBy key: SigningKey) throws -> SignedAuditHead {
        let head = try AuditLog(connection: connection).currentHead()
        let identity = try RemedyStore(connection: connection).identity()
        let now = try connection.query(ApplySQL.now)[0].decode(0, as: String.self)
        return try sign(hash: head.hash, seq: head.seq, database: identity, signedAt: now, with: key)
    }

    public var signatureIsValid: Bool {
        guard format == SignedAuditHead.currentFormat, let signature = Data(base64Encoded: signature) else { return false }
        return publicKey.isValidSignature(signature, for: SignedAuditHead.message(hash: hash, seq: seq, database: database, signedAt: signedAt))
    }
}

extension SignedAuditHead: CanonicalJSONWritable {
    /// In a run report: the bytes CanonicalJSON.encode gives.
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("database") { w in
                w.object { d in
                    d.member("database_name", database.databaseName)
                    d.member("installation_id", database.installationId)
                    d.member("system_identifier", ifPresent: database.systemIdentifier) { $0.string($1) }
                }
            }
            o.member("format", format)
            o.member("hash", hash)
            o.member("name", name)
            o.member("public_key", publicKey.base64)
            o.member("role", role)
            o.member("seq", Int(seq))
            o.member("signature", signature)
            o.member("signed_at", signedAt)
        }
    }
}

extension SignedAuditHead: CanonicalJSONReadable {
    /// In a run report: only the bytes the writer above writes.
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let database = m.member("database", DatabaseIdentity.init(reading:)), let format = m.string("format"),
              let hash = m.string("hash"), let name = m.string("name"), let publicKey = m.member("public_key", PublicKeyText.init(reading:)),
              let role = m.string("role"), let seq = m.int("seq"), let signature = m.string("signature"),
              let signedAt = m.string("signed_at") else { return nil }
        self.init(format: format, hash: hash, seq: Int64(seq), database: database, signedAt: signedAt, name: name, role: role,
                  publicKey: publicKey, signature: signature)
    }
}
