import Foundation

/// A detached approval: who signed which plan digest, and the Ed25519 signature over the
/// domain-separated message (`ApprovalRecord.message`). Stored in the bundle and the database.
public struct ApprovalRecord: Codable, Sendable, Equatable {
    public static let currentFormat = "remedy-approval/v1"
    /// Far above any approval remedy writes (a few hundred bytes): a larger file is refused unread.
    static let maxFileBytes = 64 * 1024
    public var format: String
    public var planDigest: String
    public var name: String
    public var role: String
    public var publicKey: PublicKeyText
    /// Base64 of the 64-byte signature.
    public var signature: String
    public var signedAt: String

    /// What an approver signs: "this plan, on this database, until then" and nothing else.
    public static func message(planDigest: String, database: DatabaseIdentity, expiresAt: String) -> Data {
        signedStatement(context: "remedy/plan-approval/v1", planDigest: planDigest, database: database, expiresAt: expiresAt)
    }

    /// A context string (which statement this is: approval, authorship…), the digest, the
    /// database identity and the expiry. The context keeps one kind of signature from being
    /// passed off as another.
    static func signedStatement(context: String, planDigest: String, database: DatabaseIdentity, expiresAt: String) -> Data {
        Data("""
        \(context)
        digest=\(planDigest)
        installation=\(database.installationId)
        database=\(database.databaseName)
        system=\(database.systemIdentifier ?? "-")
        expires=\(expiresAt)

        """.utf8)
    }

    public static func sign(_ bundle: PlanBundle, with key: SigningKey, at signedAt: String) throws -> ApprovalRecord {
        let message = message(planDigest: bundle.digest, database: bundle.plan.database, expiresAt: bundle.plan.expiresAt)
        return ApprovalRecord(format: currentFormat, planDigest: bundle.digest, name: key.name, role: key.role,
                              publicKey: key.publicKey, signature: try key.sign(message).base64EncodedString(), signedAt: signedAt)
    }

    public func isValid(for bundle: PlanBundle) -> Bool {
        guard planDigest == bundle.digest, let signature = Data(base64Encoded: signature) else { return false }
        return publicKey.isValidSignature(signature, for: ApprovalRecord.message(planDigest: bundle.digest, database: bundle.plan.database, expiresAt: bundle.plan.expiresAt))
    }

    /// The signature files in `directory` (`*.json`, in name order, at most 1,000), each read
    /// once and refused unless canonical; `kind` names them in a refusal ("approval file").
    static func files(in directory: String, kind: String) throws -> [ApprovalRecord] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return try names.prefix(1_000).map { name in
            let path = "\(directory)/\(name)"
            guard let data = try BundleFile.contents(atPath: path, maxBytes: ApprovalRecord.maxFileBytes, what: kind) else {
                throw RemedyError(.tampered, "\(kind) \(path) cannot be read; remove it or restore the original")
            }
            return try ApprovalRecord.readDocument(data, what: "\(kind) \(path)")
        }
    }
}

extension ApprovalRecord: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let format = m.string("format"), let name = m.string("name"), let planDigest = m.string("plan_digest"),
              let publicKey = m.member("public_key", PublicKeyText.init(reading:)), let role = m.string("role"),
              let signature = m.string("signature"), let signedAt = m.string("signed_at") else { return nil }
        self.init(format: format, planDigest: planDigest, name: name, role: role, publicKey: publicKey, signature: signature, signedAt: signedAt)
    }
}
