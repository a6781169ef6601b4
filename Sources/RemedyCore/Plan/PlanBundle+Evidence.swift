import Crypto
import Foundation

/// The gateway's answers in a bundle (`evidence/REFERENCE.json`): each listed in plan.json with
/// its SHA-256 (`Plan.gateway`), so the plan's digest, which the planner and the approvers sign,
/// covers every byte of them. The reader refuses a file not listed, a listed file missing or
/// altered, and one not in canonical form: what approvers read of the gateway is what it said.
extension PlanBundle {
    public static let evidenceDirectory = "evidence"

    static func writeEvidence(_ files: [String: Data], into path: String) throws {
        guard !files.isEmpty else { return }
        let directory = "\(path)/\(evidenceDirectory)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, data) in files.sorted(by: { $0.key < $1.key }) {
            try data.write(to: URL(fileURLWithPath: "\(directory)/\(name)"), options: .withoutOverwriting)
        }
    }

    /// Checks `evidence/` against the list plan.json holds (the plan's digest has been checked).
    static func verifyEvidence(of plan: Plan, at path: String) throws {
        let directory = "\(path)/\(evidenceDirectory)"
        let manager = FileManager.default
        let present = Set((try? manager.contentsOfDirectory(atPath: directory)) ?? [])
        guard let check = plan.gateway else {
            guard !manager.fileExists(atPath: directory) else {
                throw RemedyError(.tampered, "\(directory) is in a bundle whose plan.json lists no gateway evidence: files the plan's digest does not cover; restore the bundle from its original, or run remedy evidence for a new plan")
            }
            return
        }
        var listed: Set<String> = []
        for entry in check.references {
            guard let sha256 = entry.sha256 else { continue }
            guard GatewayResponseRecord.isSafeReference(entry.reference) else {
                throw RemedyError(.tampered, "\(path)/\(planFile) lists gateway evidence for a reference no file can be named after; make a new plan")
            }
            let name = GatewayResponseRecord.fileName(entry.reference)
            listed.insert(name)
            guard let data = manager.contents(atPath: "\(directory)/\(name)") else {
                throw RemedyError(.tampered, "\(directory)/\(name) is missing: plan.json lists the gateway's answer for \(entry.reference); restore the bundle from its original")
            }
            guard SHA256.hash(data: data).hexString == sha256 else {
                throw RemedyError(.tampered, "\(directory)/\(name) was altered after the plan was written (its SHA-256 is not the one plan.json lists); restore the bundle from its original")
            }
            guard GatewayResponseRecord.decodeStored(data, reference: entry.reference) != nil else {
                throw RemedyError(.tampered, "\(directory)/\(name) is not a gateway answer in remedy's canonical form; remedy never writes such a file: make a new plan")
            }
        }
        if let extra = present.subtracting(listed).sorted().first {
            throw RemedyError(.tampered, "\(directory)/\(extra) is not listed in plan.json: a file the plan's digest does not cover; remove it or restore the bundle from its original")
        }
    }

    /// The stored answers of a bundle already read (and so checked), by reference.
    func storedEvidence() -> [String: GatewayResponseRecord] {
        var records: [String: GatewayResponseRecord] = [:]
        for entry in plan.gateway?.references ?? [] where entry.sha256 != nil {
            let file = "\(path)/\(PlanBundle.evidenceDirectory)/\(GatewayResponseRecord.fileName(entry.reference))"
            if let data = FileManager.default.contents(atPath: file), let record = GatewayResponseRecord.decodeStored(data, reference: entry.reference) {
                records[entry.reference] = record
            }
        }
        return records
    }
}
