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
    /// plan.json is streamed to a temporary file beside the bundle (hashed on the way), then renamed
    /// into place: the whole encoded document is never held in memory.
    public static func write(_ plan: Plan, into directory: String?, defaultParent: String) throws -> PlanBundle {
        let (path, digest) = try write(job: plan.job, snapshotAt: plan.snapshotAt, into: directory, defaultParent: defaultParent) {
            try PlanDocumentWriter.write(plan, to: $0)
        }
        return PlanBundle(path: path, plan: plan, digest: digest)
    }

    /// Writes a new bundle from a spooled plan (whose lines were never all in memory).
    /// `evidenceFrom`: a directory of the gateway's stored answers (`REFERENCE.json`, which the
    /// plan's gateway checks list with their SHA-256), on the bundle's file system: it is renamed
    /// into the bundle as `evidence/`.
    public static func write(_ spooled: SpooledPlan, into directory: String?, defaultParent: String, evidenceFrom: String? = nil) throws -> (path: String, digest: String) {
        try write(job: spooled.header.job, snapshotAt: spooled.header.snapshotAt, into: directory, defaultParent: defaultParent, evidenceFrom: evidenceFrom) {
            try PlanDocumentWriter.write(spooled, to: $0)
        }
    }

    /// Where a bundle's temporary files go: beside the bundle (`directory`'s parent, or `defaultParent`).
    public static func temporaryParent(for directory: String?, defaultParent: String) -> String {
        directory.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? defaultParent
    }

    /// A bundle is never overwritten. Asked before any work is done for a named bundle (`--out`),
    /// so that detect (half a minute at 1,000,000 users) is not spent on a plan that cannot be written, and again as it is
    /// written.
    public static func requireNew(_ directory: String?) throws {
        if let directory, FileManager.default.fileExists(atPath: directory) {
            throw RemedyError(.io, "\(directory) already exists; a plan bundle is never overwritten: choose another --out")
        }
    }

    private static func write(job: String, snapshotAt: String, into directory: String?, defaultParent: String,
                              evidenceFrom: String? = nil, document: (String) throws -> String) throws -> (path: String, digest: String) {
        let manager = FileManager.default
        try requireNew(directory)
        // The temporary file goes where the bundle will be, so the final step is a rename.
        let parent = temporaryParent(for: directory, defaultParent: defaultParent)
        let temporary = "\(parent)/.\(job)-\(UUID().uuidString.lowercased()).plan.json.tmp"
        let digest: String
        do {
            try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
            digest = try document(temporary)
        } catch {
            try? manager.removeItem(atPath: temporary)
            throw RemedyError(.io, "cannot write the plan bundle in \(parent): \(error.localizedDescription)")
        }
        defer { try? manager.removeItem(atPath: temporary) }
        let path = directory ?? "\(defaultParent)/\(job)-\(snapshotAt.prefix(19).replacingOccurrences(of: ":", with: ""))-\(digest.prefix(12))"
        try requireNew(path)
        do {
            try manager.createDirectory(atPath: path + "/" + approvalsDirectory, withIntermediateDirectories: true)
            guard rename(temporary, path + "/" + planFile) == 0 else {
                throw RemedyError(.io, "cannot move the plan into \(path): \(String(cString: strerror(errno)))")
            }
            if let evidenceFrom, rename(evidenceFrom, "\(path)/\(evidenceDirectory)") != 0 {
                throw RemedyError(.io, "cannot move the gateway's answers into \(path): \(String(cString: strerror(errno)))")
            }
            try digestLine(digest).write(to: URL(fileURLWithPath: path + "/" + digestFile), options: .atomic)
        } catch {
            throw RemedyError(.io, "cannot write the plan bundle at \(path): \(error.localizedDescription)")
        }
        return (path, digest)
    }

    /// The digest plan.sha256 records, which must be exactly the line remedy wrote.
    static func recordedDigest(_ path: String) throws -> String {
        // The line remedy writes is 76 bytes.
        guard let digestBytes = try BundleFile.contents(atPath: path + "/" + digestFile, maxBytes: 1_024, what: "the plan's digest") else {
            throw RemedyError(.tampered, "\(path)/\(digestFile) is missing; the bundle is incomplete")
        }
        // Exactly the line remedy (and `sha256sum plan.json`) writes: no byte of a bundle may change unnoticed.
        let recorded = String(decoding: digestBytes.prefix(64), as: UTF8.self)
        guard recorded.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }), digestBytes == digestLine(recorded) else {
            throw RemedyError(.tampered, "\(path)/\(digestFile) was altered: it must be one line, the plan's SHA-256 in lowercase hex, two spaces, \(planFile), as remedy wrote it; restore the bundle from its original")
        }
        return recorded
    }

    /// plan.sha256's one line, in `sha256sum -c` form.
    static func digestLine(_ digest: String) -> Data {
        Data("\(digest)  \(planFile)\n".utf8)
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
        return try ApprovalRecord.files(in: directory, kind: "approval file")
    }
}
