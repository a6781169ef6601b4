import Crypto
import Foundation

/// A plan on disk: a directory holding `plan.json` (canonical, never edited), `plan.sha256`
/// (its digest, in `sha256sum -c` form) and `approvals/` (one detached signature file each).
public struct PlanBundle: Sendable {
    public static let planFile = "plan.json"
    public static let digestFile = "plan.sha256"
    public static let approvalsDirectory = "approvals"
    /// A plan larger than this is refused on read (1,000,000 lines fit well within it).
    static let maxPlanBytes = 2 << 30

    public let path: String
    public let plan: Plan
    /// SHA-256 of plan.json's bytes: the plan's identity.
    public let digest: String

    /// Writes a new bundle; the directory must not exist yet (a plan is never overwritten).
    public static func write(_ plan: Plan, into directory: String?, defaultParent: String) throws -> PlanBundle {
        let bytes = try CanonicalJSON.encode(plan)
        let digest = SHA256.hash(data: bytes).hexString
        let path = directory ?? "\(defaultParent)/\(plan.job)-\(plan.snapshotAt.prefix(19).replacingOccurrences(of: ":", with: ""))-\(digest.prefix(12))"
        let manager = FileManager.default
        guard !manager.fileExists(atPath: path) else {
            throw RemedyError(.io, "\(path) already exists; a plan bundle is never overwritten: choose another --out")
        }
        do {
            try manager.createDirectory(atPath: path + "/" + approvalsDirectory, withIntermediateDirectories: true)
            try bytes.write(to: URL(fileURLWithPath: path + "/" + planFile), options: .atomic)
            try Data("\(digest)  \(planFile)\n".utf8).write(to: URL(fileURLWithPath: path + "/" + digestFile), options: .atomic)
        } catch {
            throw RemedyError(.io, "cannot write the plan bundle at \(path): \(error.localizedDescription)")
        }
        return PlanBundle(path: path, plan: plan, digest: digest)
    }

    /// Reads a bundle and checks plan.json against the digest written beside it.
    public static func read(_ path: String) throws -> PlanBundle {
        let planPath = path + "/" + planFile
        guard let bytes = FileManager.default.contents(atPath: planPath) else {
            throw RemedyError(.io, "\(planPath) cannot be read; pass the directory `remedy plan` printed last")
        }
        guard bytes.count <= maxPlanBytes else { throw RemedyError(.io, "\(planPath) is larger than any plan remedy writes") }
        let digest = SHA256.hash(data: bytes).hexString
        guard let recorded = FileManager.default.contents(atPath: path + "/" + digestFile)
            .flatMap({ String(data: $0, encoding: .utf8) })?.split(separator: " ").first.map(String.init) else {
            throw RemedyError(.tampered, "\(path)/\(digestFile) is missing; the bundle is incomplete")
        }
        guard recorded == digest else {
            throw RemedyError(.tampered, "plan.json was changed after it was written: its digest is \(digest.prefix(16))…, the bundle records \(recorded.prefix(16))…; do not edit a plan, make a new one")
        }
        let plan: Plan
        do { plan = try CanonicalJSON.decode(Plan.self, from: bytes) } catch {
            throw RemedyError(.tampered, "\(planPath) is not a remedy plan: \(error)")
        }
        guard plan.format == Plan.currentFormat else {
            throw RemedyError(.badInput, "\(planPath) is format \(plan.format); this remedy reads \(Plan.currentFormat)")
        }
        return PlanBundle(path: path, plan: plan, digest: digest)
    }

    public func writeApproval(_ approval: ApprovalRecord) throws -> String {
        let file = "\(path)/\(PlanBundle.approvalsDirectory)/\(approval.name)-\(approval.role).json"
        guard !FileManager.default.fileExists(atPath: file) else {
            throw RemedyError(.io, "\(file) already exists: \(approval.name) has already approved this plan")
        }
        try FileManager.default.createDirectory(atPath: "\(path)/\(PlanBundle.approvalsDirectory)", withIntermediateDirectories: true)
        try CanonicalJSON.encode(approval).write(to: URL(fileURLWithPath: file), options: .atomic)
        return file
    }

    /// Every approval file in the bundle, unparsable ones reported by name.
    public func approvalFiles() throws -> [ApprovalRecord] {
        let directory = "\(path)/\(PlanBundle.approvalsDirectory)"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return try names.prefix(1_000).map { name in
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(name)"),
                  let record = try? CanonicalJSON.decode(ApprovalRecord.self, from: data) else {
                throw RemedyError(.tampered, "approval file \(directory)/\(name) is not a remedy approval; remove it or restore the original")
            }
            return record
        }
    }
}
