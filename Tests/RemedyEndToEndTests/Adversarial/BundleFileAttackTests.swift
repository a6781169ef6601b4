import Foundation
import Testing
@testable import RemedyCore

/// A bundle's small files are read only when they are regular files of a size remedy could have
/// written: a FIFO put in place of one held the reader (or was called missing), a device never
/// ends, and a file of gigabytes was read whole before it was refused. Each is refused in one line.
@Suite("Adversarial: bundle files that are not what remedy writes")
struct BundleFileAttackTests {
    enum Stand: CaseIterable {
        case fifo, oversized

        func put(at path: String) throws {
            try? FileManager.default.removeItem(atPath: path)
            switch self {
            case .fifo:
                #expect(mkfifo(path, 0o600) == 0)
            case .oversized:
                // Sparse: 64 MiB that take no disk, far over any bound.
                #expect(FileManager.default.createFile(atPath: path, contents: nil))
                #expect(truncate(path, 64 << 20) == 0)
            }
        }

        var mentioning: String {
            switch self {
            case .fifo: "is not a regular file"
            case .oversized: "larger than any remedy writes"
            }
        }
    }

    @Test(arguments: Stand.allCases)
    func aSmallFileThatIsNotOneIsRefusedWithoutBeingRead(_ stand: Stand) throws {
        let shop = try EndToEndShop(users: 80, seed: 1_060)
        let original = try shop.plan()
        try shop.approve(original)
        for file in ["plan.sha256", PlannerSignature.file, "\(PlanBundle.approvalsDirectory)/sari-finance.json"] {
            let bundle = "\(shop.directory)/stand-\(UUID().uuidString.prefix(8))"
            try FileManager.default.copyItem(atPath: original, toPath: bundle)
            try stand.put(at: "\(bundle)/\(file)")
            // export reads every approval file (after a line of progress); the plan's own files are
            // read by every command first.
            let run = try shop.remedy(["export", bundle, "--format", "csv", "--out", "\(bundle)/export.csv"])
            let last = run.stderrLines.last ?? ""
            #expect(run.status == 3 && last.hasPrefix("remedy: error: ") && last.contains(file) && last.contains(stand.mentioning), "\(file): \(run)")
            #expect(!FileManager.default.fileExists(atPath: "\(bundle)/export.csv"))
        }
    }

    /// Apply spools its report's lines into the bundle's runs/ as batches commit. Where it cannot
    /// (runs/ is a file, not a directory) it is refused in one line before the run begins: nothing
    /// booked, no run recorded, so no run ends with its lines nowhere.
    @Test func applyThatCannotWriteItsReportIsRefusedBeforeTheRunBegins() throws {
        let shop = try EndToEndShop(users: 80, seed: 1_061)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        #expect(FileManager.default.createFile(atPath: "\(bundle)/runs", contents: Data("not a directory".utf8)))
        let before = try DatabaseFingerprint.take(shop)
        let run = try shop.apply(bundle)
        let last = run.stderrLines.last ?? ""
        #expect(!run.exitedZero && last.hasPrefix("remedy: error: ") && last.contains("\(bundle)/runs") && last.contains("a directory apply can write in"), "\(run)")
        #expect(try DatabaseFingerprint.take(shop).differences(from: before).isEmpty)

        try FileManager.default.removeItem(atPath: "\(bundle)/runs")
        try shop.apply(bundle).requireSuccess()
        #expect(try FileManager.default.contentsOfDirectory(atPath: "\(bundle)/runs").count == 1)
    }
}
