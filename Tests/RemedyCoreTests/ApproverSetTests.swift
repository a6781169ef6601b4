import Foundation
import Testing
@testable import RemedyCore

@Suite("The trusted set changes only with the current quorum's signatures")
struct ApproverSetTests {
    @Test func aQuorumSignedFileBecomesTheTrustedSetAndNothingLessDoes() throws {
        let harness = try PipelineHarness(users: 20, seed: 31)
        let eve = harness.keys["eve"]!
        let newFile = "\(harness.directory)/approvers-v2.yaml"
        let entries = ["andi", "sari", "budi", "eve"].map { name in
            Approver(name: harness.keys[name]!.name, role: harness.keys[name]!.role, publicKey: harness.keys[name]!.publicKey).yamlEntry
        }
        try ("approvers:\n" + entries.joined(separator: "\n") + "\n").write(toFile: newFile, atomically: true, encoding: .utf8)
        let update = try ApproverSetUpdate(path: newFile, connection: harness.connection)

        // Not a current approver: cannot sign.
        #expect(throws: RemedyError.self) { try update.sign(with: eve) }
        // One signature is not the quorum (finance + engineering).
        _ = try update.sign(with: harness.keys["sari"]!)
        let underSigned = #expect(throws: RemedyError.self) { try update.apply() }
        #expect(underSigned?.message.contains("missing: engineering") == true)
        #expect(try RemedyStore(connection: harness.connection).currentApproverSet()?.version == 1)

        _ = try update.sign(with: harness.keys["budi"]!)
        #expect(try update.apply() == 2)
        let set = try #require(try RemedyStore(connection: harness.connection).currentApproverSet())
        #expect(set.trusted(eve.publicKey)?.name == "eve")

        // The file changed after signing: the signatures no longer cover it.
        try (try String(contentsOfFile: newFile, encoding: .utf8) + "# edited\n").write(toFile: newFile, atomically: true, encoding: .utf8)
        #expect(throws: RemedyError.self) { try ApproverSetUpdate(path: newFile, connection: harness.connection).apply() }
        let audit = try AuditLog(connection: harness.connection).verify()
        #expect(audit.firstBroken == nil)
        #expect(try harness.connection.query("SELECT count(*) FROM remedy.audit_log WHERE action = 'approvers.updated'")[0].decode(0, as: Int.self) == 1)
    }
}
