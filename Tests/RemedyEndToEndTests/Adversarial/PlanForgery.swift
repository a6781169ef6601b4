import Crypto
import Foundation
import Postgres
import Testing
@testable import RemedyCore

/// What a planner can do without remedy, with the access `remedy plan` itself needs: write any
/// bytes as a bundle's plan.json, sign them with their own key, and record the plan in remedy's
/// tables (its row and its audit row) exactly as `remedy plan` would. And what approvers' keys
/// can do without `remedy approve`'s checks. The adversarial tests then show which command notices.
enum PlanForgery {
    /// A legitimate plan of the shop's, as plan.json's bytes and decoded.
    static func legitimate(_ shop: EndToEndShop, by planner: String = "andi") throws -> (bytes: Data, plan: Plan) {
        let bundle = try shop.plan(by: planner)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: bundle + "/plan.json"))
        return (bytes, try CanonicalJSON.decode(Plan.self, from: bytes))
    }

    /// The canonical bytes of an edited plan (what a planner with an editor and JSONEncoder makes).
    static func encode(_ plan: Plan) throws -> Data {
        try CanonicalJSON.encode(plan)
    }

    /// Writes `document` as a new bundle whose plan.sha256 matches it; `claimed` is the plan it
    /// claims to be (its planner, database and expiry are what signatures cover). Signs it as
    /// planner with `signerKeyFile` (whoever that belongs to) and records it. Returns the path.
    @discardableResult
    static func record(_ document: Data, claiming claimed: Plan, signedWith signerKeyFile: String, in shop: EndToEndShop,
                       recordInDatabase: Bool = true) throws -> (path: String, digest: String) {
        let path = "\(shop.directory)/forged-plan-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path + "/approvals", withIntermediateDirectories: true)
        try document.write(to: URL(fileURLWithPath: path + "/plan.json"))
        let digest = SHA256.hash(data: document).map { String(format: "%02x", $0) }.joined()
        try "\(digest)  plan.json\n".write(toFile: path + "/plan.sha256", atomically: true, encoding: .utf8)
        let key = try SigningKey.load(path: signerKeyFile)
        var signature = try PlannerSignature.sign(planDigest: digest, plan: claimed, with: key)
        // The forger writes whatever names the claim needs beside their own signature.
        signature.name = claimed.planner.name
        signature.role = claimed.planner.role
        signature.publicKey = claimed.planner.publicKey
        try signature.write(into: path)
        if recordInDatabase {
            try shop.connection.transaction {
                try shop.connection.execute(RemedyStoreSQL.insertPlan, [
                    digest, claimed.job, claimed.kind.rawValue, claimed.specDigest, claimed.planner.publicKey.base64, claimed.planner.name,
                    claimed.expiresAt, path, String(decoding: try CanonicalJSON.encode(claimed.totals), as: UTF8.self), claimed.standingPolicy,
                    signature.signature,
                ])
                struct Created: Encodable { let job: String; let bundle: String }
                _ = try AuditLog(connection: shop.connection).append([
                    try AuditEvent(action: "plan.created", actor: claimed.planner.name, planDigest: digest, details: Created(job: claimed.job, bundle: path)),
                ])
            }
        }
        return (path, digest)
    }

    /// Approval files and rows for `digest`, signed with each key file as `remedy approve` signs,
    /// without any of its checks (the approvers were shown something and said yes).
    static func approve(_ path: String, digest: String, claiming claimed: Plan, by keyFiles: [String], in shop: EndToEndShop) throws {
        let message = ApprovalRecord.message(planDigest: digest, database: claimed.database, expiresAt: claimed.expiresAt)
        for keyFile in keyFiles {
            let key = try SigningKey.load(path: keyFile)
            let record = ApprovalRecord(format: ApprovalRecord.currentFormat, planDigest: digest, name: key.name, role: key.role,
                                        publicKey: key.publicKey, signature: try key.sign(message).base64EncodedString(),
                                        signedAt: try shop.connection.query(ApplySQL.now)[0].decode(0, as: String.self))
            try CanonicalJSON.encode(record).write(to: URL(fileURLWithPath: "\(path)/approvals/\(key.name)-\(key.role).json"))
            try shop.connection.transaction {
                try shop.connection.execute(RemedyStoreSQL.insertApproval, [digest, record.publicKey.base64, record.name, record.role, record.signature, record.signedAt])
                struct Approved: Encodable { let name: String; let role: String }
                _ = try AuditLog(connection: shop.connection).append([
                    try AuditEvent(action: "plan.approved", actor: key.name, planDigest: digest, details: Approved(name: key.name, role: key.role)),
                ])
            }
        }
    }

    /// `remedy show`, `remedy approve` (by sari) and `remedy apply` (by andi, with forged
    /// approvals by sari and budi in place) must each refuse with one line mentioning `fragments`,
    /// change nothing, and leave the audit chain verifying.
    static func expectEveryCommandRefuses(_ forged: (path: String, digest: String), claiming claimed: Plan, in shop: EndToEndShop,
                                          mentioning fragments: [String]) throws {
        try expectRefusal(["show", forged.path], in: shop, mentioning: fragments)
        try expectRefusal(["approve", forged.path, "--key", shop.key("sari")], in: shop, mentioning: fragments)
        try approve(forged.path, digest: forged.digest, claiming: claimed, by: [shop.key("sari"), shop.key("budi")], in: shop)
        try expectRefusal(["apply", forged.path, "--key", shop.key("andi"), "--jobs", shop.jobs], in: shop, mentioning: fragments)
        try expectRefusal(["export", forged.path, "--format", "csv", "--out", shop.directory + "/forged.csv"], in: shop, mentioning: fragments)
        try shop.remedy(["audit", "verify"]).requireSuccess()
    }
}
