import Foundation

/// Who made a plan, as a signed statement rather than a claim: the planner's Ed25519 signature
/// over the plan's digest (domain-separated from approvals). Written beside plan.json as
/// `planner.json` and recorded with the plan. Every command that reads a plan checks it signs this
/// very digest with the key plan.json names; approve and apply also check that key is trusted, and
/// "the planner may not approve" compares approvers with this signed key.
public struct PlannerSignature: Codable, Sendable, Equatable {
    public static let file = "planner.json"
    public static let currentFormat = "remedy-planner/v1"
    static let context = "remedy/plan-made/v1"
    /// Far above any planner.json remedy writes (a few hundred bytes): a larger file is refused unread.
    static let maxFileBytes = 64 * 1024

    public var format: String
    public var planDigest: String
    public var name: String
    public var role: String
    public var publicKey: PublicKeyText
    /// Base64 of the 64-byte signature.
    public var signature: String

    static func message(planDigest: String, plan: Plan) -> Data {
        ApprovalRecord.signedStatement(context: context, planDigest: planDigest, database: plan.database, expiresAt: plan.expiresAt)
    }

    static func sign(planDigest: String, plan: Plan, with key: SigningKey) throws -> PlannerSignature {
        PlannerSignature(format: currentFormat, planDigest: planDigest, name: key.name, role: key.role, publicKey: key.publicKey,
                         signature: try key.sign(message(planDigest: planDigest, plan: plan)).base64EncodedString())
    }

    /// Writes planner.json into a bundle that has none.
    func write(into bundlePath: String) throws {
        let path = "\(bundlePath)/\(PlannerSignature.file)"
        guard !FileManager.default.fileExists(atPath: path) else { throw RemedyError(.io, "\(path) already exists") }
        try CanonicalJSON.encode(self).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
    }

    static func load(_ bundlePath: String) throws -> PlannerSignature {
        let path = "\(bundlePath)/\(file)"
        guard let data = try BundleFile.contents(atPath: path, maxBytes: PlannerSignature.maxFileBytes, what: "the planner's signature") else {
            throw RemedyError(.tampered, "\(path) is missing: nobody signed as this plan's planner (plans made by an earlier remedy have none); make a new plan")
        }
        return try PlannerSignature.readDocument(data, what: path)
    }

    /// The signature is the planner's named in plan.json, over this digest.
    func verify(planDigest digest: String, plan: Plan) throws {
        guard format == PlannerSignature.currentFormat, planDigest == digest,
              publicKey == plan.planner.publicKey, name == plan.planner.name, role == plan.planner.role,
              let raw = Data(base64Encoded: signature),
              publicKey.isValidSignature(raw, for: PlannerSignature.message(planDigest: digest, plan: plan)) else {
            throw RemedyError(.tampered, "the planner's signature in \(PlannerSignature.file) does not sign this plan by \(plan.planner.name) (\(plan.planner.publicKey)): the plan's author is unproven; make a new plan")
        }
    }
}

extension PlannerSignature: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let format = m.string("format"), let name = m.string("name"), let planDigest = m.string("plan_digest"),
              let publicKey = m.member("public_key", PublicKeyText.init(reading:)), let role = m.string("role"),
              let signature = m.string("signature") else { return nil }
        self.init(format: format, planDigest: planDigest, name: name, role: role, publicKey: publicKey, signature: signature)
    }
}
