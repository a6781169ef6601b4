import Crypto
import Foundation
import Postgres

/// The secret `export --redact` keys pseudonyms with: this installation's, kept in
/// `remedy.redaction_key` (made by `remedy init`), or the bytes of a file given with
/// `--redaction-key` when the export is made without a database. It is never written into an
/// export; without it a pseudonym cannot be recomputed from a user id, whoever knows the ids.
public struct RedactionKey: Sendable {
    /// At least 256 bits: the pseudonyms are only as hard to recompute as the secret is to guess.
    public static let minimumBytes = 32

    let secret: SymmetricKey

    init(secret: [UInt8]) {
        self.secret = SymmetricKey(data: secret)
    }

    /// What `remedy init` stores: 32 bytes from the system's CSPRNG.
    static func generateSecret() -> [UInt8] {
        SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    }

    /// The installation's key. Read-only; refuses a schema from before the table existed.
    public static func read(from connection: PostgresConnection) throws -> RedactionKey {
        guard try connection.query(RemedyStoreSQL.redactionKeyTableExists)[0].decode(0, as: Bool.self),
              let row = try connection.query(RemedyStoreSQL.redactionKey).first else {
            throw RemedyError(.notInitialized, "this database has no redaction key yet; run `remedy init --approvers FILE` to upgrade remedy's schema (it makes one), or pass --redaction-key FILE")
        }
        let secret = try row.decode(0, as: [UInt8].self)
        guard secret.count >= minimumBytes else {
            throw RemedyError(.tampered, "remedy.redaction_key holds \(secret.count) bytes, fewer than \(minimumBytes): it was not written by remedy init")
        }
        return RedactionKey(secret: secret)
    }

    /// A key file: its bytes, exactly, are the secret. Refused when others can read it, as key
    /// files are, or when it is shorter than `minimumBytes`.
    public static func load(path: String) throws -> RedactionKey {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let attributes, let data = FileManager.default.contents(atPath: path) else {
            throw RemedyError(.io, "cannot read redaction key file \(path); make one with `head -c 32 /dev/urandom > \(path) && chmod 600 \(path)`")
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw RemedyError(.io, "redaction key file \(path) is readable by others (mode \(String(mode, radix: 8))); run chmod 600 \(path)")
        }
        guard data.count >= minimumBytes else {
            throw RemedyError(.badInput, "redaction key file \(path) holds \(data.count) bytes; it needs at least \(minimumBytes) secret random bytes: `head -c 32 /dev/urandom > \(path)`")
        }
        return RedactionKey(secret: Array(data))
    }

    /// The first `hexDigits` of HMAC-SHA256(secret, context ‖ text): a different context for each
    /// kind of value, so a user id and an idempotency key never share a pseudonym.
    func code(_ context: String, _ text: String, hexDigits: Int) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("remedy-redaction/v2\n\(context)\n\(text)".utf8), using: secret)
        return String(Data(code).hexString.prefix(hexDigits))
    }
}
