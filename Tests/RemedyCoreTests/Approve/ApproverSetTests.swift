import Foundation
import Testing
import TestSupport
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

@Suite("The trusted set is checked on every read")
struct ApproverSetHistoryTests {
    @Test func aSetRecordedBeforeFilesWereKeptStaysTrustedButANewSetWithoutOneIsNot() throws {
        try withTestDatabase { connection, _ in
            // A database initialized by a remedy from before schema version 3: no file kept with the set.
            let andi = try SigningKey.generate(name: "andi", role: "engineering")
            let sari = try SigningKey.generate(name: "sari", role: "finance")
            try connection.transaction {
                for migration in RemedySchemaSQL.migrations where migration.version < 3 {
                    try connection.executeScript(migration.sql)
                    try connection.execute(RemedySchemaSQL.recordVersion, [migration.version])
                }
                try connection.execute("INSERT INTO remedy.installation (installation_id, approvers_quorum) VALUES (gen_random_uuid(), '{finance,engineering}')")
                try connection.execute("INSERT INTO remedy.approver_sets (version, file_digest, signatures) VALUES (1, 'old', '[]')")
                for key in [andi, sari] {
                    try connection.execute("INSERT INTO remedy.approvers VALUES (1, $1, $2, $3)", [key.publicKey.base64, key.name, key.role])
                }
            }
            let file = NSTemporaryDirectory() + "approvers-\(UUID().uuidString).yaml"
            defer { try? FileManager.default.removeItem(atPath: file) }
            let entries = [andi, sari].map { Approver(name: $0.name, role: $0.role, publicKey: $0.publicKey).yamlEntry }
            try ("approvers:\n" + entries.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let store = RemedyStore(connection: connection)
            let upgraded = try store.initialize(approvers: try ApproverFile.load(path: file))
            #expect(upgraded.fromVersion == 2 && !upgraded.createdApprovers)
            #expect(try store.currentApproverSet()?.trusted(sari.publicKey)?.name == "sari", "the old set is still trusted")

            // A set added by SQL after the upgrade has no file: refused, not trusted.
            try connection.execute("INSERT INTO remedy.approver_sets (version, file_digest, signatures) VALUES (2, 'forged', '[]')")
            let error = #expect(throws: RemedyError.self) { try store.currentApproverSet() }
            #expect(error?.code == .tampered && error?.message.contains("set 2") == true, "\(error?.message ?? "")")
        }
    }
}
