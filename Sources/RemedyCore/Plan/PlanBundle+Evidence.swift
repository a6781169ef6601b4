import Crypto
import Foundation

/// The gateway's answers in a bundle (`evidence/REFERENCE.json`): each listed in plan.json with
/// its SHA-256 (`gateway_checks`, or a v1 plan's `gateway.references`), so the plan's digest,
/// which the planner and the approvers sign, covers every byte of them. The reader refuses a file
/// not listed, a listed file missing or altered, and one not in canonical form: what approvers
/// read of the gateway is what it said.
extension PlanBundle {
    public static let evidenceDirectory = "evidence"
}

/// Checks a bundle's `evidence/` against its gateway checks, fed one at a time in the list's
/// order (by reference), in bounded memory: each listed file is read, hashed and decoded
/// (`Inspector`, on the reader's checking threads, or here when a check comes without its
/// inspection); the files listed are counted, and at the end the directory must hold exactly that
/// many entries. The first fault in the list's order is kept and thrown by `finish`, after the
/// reader's own checks (a changed digest is the clearer refusal).
struct GatewayEvidenceFiles {
    let inspector: Inspector
    private var directory: String { inspector.directory }
    private(set) var fault: RemedyError?
    /// Distinct files listed so far, and the reference of the last one counted (checks come sorted
    /// by reference, so a reference two checks share is counted once).
    private var listedFiles = 0
    private var lastListed: String?
    /// Hashes of the listed files' names (per-process seed), to name an unlisted file on refusal:
    /// an array (8 bytes a file, where a set takes twice that), made a set only then.
    private var listedNames: [Int] = []

    init(bundlePath: String) {
        inspector = Inspector(directory: "\(bundlePath)/\(PlanBundle.evidenceDirectory)", planPath: "\(bundlePath)/\(PlanBundle.planFile)")
    }

    /// What reading one listed file found: nothing wrong, or the refusal.
    typealias Inspection = Result<Void, RemedyError>

    /// Reads one check's file and holds it to the check. Reads only that file and depends on
    /// nothing else, so the reader runs it on its checking threads: a checked plan at 1,000,000
    /// users lists about 840,000 answers, and one thread reading them was most of every read.
    struct Inspector: Sendable {
        let directory: String
        let planPath: String

        /// nil for a check that lists no file.
        func inspect(_ check: GatewayReferenceCheck) -> Inspection? {
            guard let sha256 = check.sha256 else { return nil }
            // Checked before the reference names a path: "../x" must never be opened.
            guard GatewayResponseRecord.isSafeReference(check.reference) else {
                return .failure(RemedyError(.tampered, "\(planPath) lists gateway evidence for a reference no file can be named after; make a new plan"))
            }
            let name = GatewayResponseRecord.fileName(check.reference)
            let data: Data?
            do { data = try GatewayResponseRecord.storedBytes(atPath: "\(directory)/\(name)") } catch {
                return .failure(error)
            }
            guard let data else {
                return .failure(RemedyError(.tampered, "\(directory)/\(name) is missing: plan.json lists the gateway's answer for \(check.reference); restore the bundle from its original"))
            }
            guard SHA256.hash(data: data).hexString == sha256 else {
                return .failure(RemedyError(.tampered, "\(directory)/\(name) was altered after the plan was written (its SHA-256 is not the one plan.json lists); restore the bundle from its original"))
            }
            guard GatewayResponseRecord.decodeStored(data, reference: check.reference) != nil else {
                return .failure(RemedyError(.tampered, "\(directory)/\(name) is not a gateway answer in remedy's canonical form; remedy never writes such a file: make a new plan"))
            }
            return .success(())
        }
    }

    /// Counts a check, with what `inspector` found of its file (inspected now when not given).
    mutating func add(_ check: GatewayReferenceCheck, inspection given: Inspection? = nil) {
        guard fault == nil, let inspection = given ?? inspector.inspect(check) else { return }
        if case .failure(let refusal) = inspection {
            fault = refusal
            return
        }
        if check.reference != lastListed {
            listedFiles += 1
            lastListed = check.reference
            listedNames.append(GatewayResponseRecord.fileName(check.reference).hashValue)
        }
    }

    /// Throws the first fault, or refuses a directory holding anything the list does not name
    /// (or, for a plan no gateway checked, any `evidence/` at all).
    func finish(checked: Bool) throws {
        if let fault { throw fault }
        guard checked else {
            guard !FileManager.default.fileExists(atPath: directory) else {
                throw RemedyError(.tampered, "\(directory) is in a bundle whose plan.json lists no gateway evidence: files the plan's digest does not cover; restore the bundle from its original, or run remedy evidence for a new plan")
            }
            return
        }
        var entries = 0
        try FlatDirectory.eachEntry(of: directory) { _ in entries += 1 }
        guard entries != listedFiles else { return }
        // Refusing: the set is made only now.
        let listed = Set(listedNames)
        var unlisted: String?
        try FlatDirectory.eachEntry(of: directory) { name in
            if unlisted == nil, !listed.contains(name.hashValue) { unlisted = name }
        }
        throw RemedyError(.tampered, "\(directory)/\(unlisted ?? "…") is not listed in plan.json (the directory holds \(entries) entries, plan.json lists \(listedFiles) files): a file the plan's digest does not cover; remove it or restore the bundle from its original")
    }
}
