import Foundation
import RemedyCore

/// What a forger with file access does to a plan bundle: copies it, edits its bytes, and signs
/// approvals with whatever key files they hold, skipping `remedy approve`'s own checks.
enum BundleForgery {
    /// A copy of the bundle directory beside it, to tamper with.
    static func copy(_ bundle: String, in directory: String) throws -> String {
        let copy = "\(directory)/forged-\(UUID().uuidString.prefix(8))"
        try FileManager.default.copyItem(atPath: bundle, toPath: copy)
        try? FileManager.default.removeItem(atPath: copy + "/runs")
        return copy
    }

    /// Signs the bundle's plan with `keyFile` exactly as `remedy approve` would, and drops the
    /// approval file into the bundle, whoever the key belongs to.
    static func approve(_ bundle: String, withKeyFile keyFile: String) throws {
        let plan = try PlanBundle.read(bundle)
        let key = try SigningKey.load(path: keyFile)
        _ = try plan.writeApproval(try ApprovalRecord.sign(plan, with: key, at: Timestamp(date: Date()).description))
    }

    /// The bundle's files that tampering may target: plan.json, plan.sha256, the planner's
    /// signature and each approval.
    static func files(of bundle: String) throws -> [String] {
        let approvals = try FileManager.default.contentsOfDirectory(atPath: bundle + "/approvals").filter { $0.hasSuffix(".json") }.sorted()
        return ["plan.json", "plan.sha256", PlannerSignature.file] + approvals.map { "approvals/" + $0 }
    }

    /// Byte positions a forger would aim at: inside the values of an approval's name, role,
    /// format and signing time; in plan.sha256, the file name and the final newline.
    static func interestingPositions(in data: Data) -> [Int] {
        var positions: [Int] = []
        for marker in [#""format":""#, #""name":""#, #""role":""#, #""signed_at":""#] {
            if let range = data.range(of: Data(marker.utf8)), range.upperBound + 2 < data.count { positions.append(range.upperBound + 2) }
        }
        if let range = data.range(of: Data("  plan.json".utf8)) { positions += [range.lowerBound + 4, data.count - 1] }
        return positions
    }

    /// An XOR mask that turns a letter into another letter and a digit into another digit, so
    /// the edited file still reads as well-formed as before; anything else gets its low bit flipped.
    static func plausibleEdit(of byte: UInt8) -> UInt8 {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "8"), UInt8(ascii: "a")...UInt8(ascii: "y"), UInt8(ascii: "A")...UInt8(ascii: "Y"):
            return byte ^ (byte + 1)
        default:
            return 1
        }
    }
}
