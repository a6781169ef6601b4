import Foundation
import Postgres

/// Changing the trusted approvers: a new approvers file, signed by a quorum of the *current*
/// set (the quorum recorded at init). Signatures sit beside the file in `FILE.approvals/`.
public struct ApproverSetUpdate {
    public let file: ApproverFile
    public let path: String
    public let connection: PostgresConnection

    public init(path: String, connection: PostgresConnection) throws {
        self.file = try ApproverFile.load(path: path)
        self.path = path
        self.connection = connection
    }

    var signaturesDirectory: String { path + ".approvals" }

    static func message(fileDigest: String, installationId: String, fromVersion: Int) -> Data {
        Data("remedy/approvers-update/v1\nfile=\(fileDigest)\ninstallation=\(installationId)\nfrom_set=\(fromVersion)\n".utf8)
    }

    private func context() throws -> (RemedyStore.ApproverSet, DatabaseIdentity) {
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        guard let current = try store.currentApproverSet() else { throw RemedyError(.notInitialized, "no approvers recorded; run `remedy init`") }
        return (current, try store.identity())
    }

    /// Signs the file as one of the current approvers; returns the signature file's path.
    public func sign(with key: SigningKey) throws -> String {
        let (current, identity) = try context()
        let approver = try RemedyStore(connection: connection).requireTrusted(key, as: "approver")
        let signature = try key.sign(ApproverSetUpdate.message(fileDigest: file.digest, installationId: identity.installationId, fromVersion: current.version))
        let record = ApprovalRecord(format: "remedy-approvers-approval/v1", planDigest: file.digest, name: approver.name, role: approver.role,
                                    publicKey: approver.publicKey, signature: signature.base64EncodedString(), signedAt: try connection.query(ApplySQL.now)[0].decode(0, as: String.self))
        try FileManager.default.createDirectory(atPath: signaturesDirectory, withIntermediateDirectories: true)
        let out = "\(signaturesDirectory)/\(approver.name)-\(approver.role).json"
        try CanonicalJSON.encode(record).write(to: URL(fileURLWithPath: out), options: .atomic)
        return out
    }

    /// Records the new set if the current quorum signed this exact file; otherwise refuses.
    public func apply() throws -> Int {
        let (current, identity) = try context()
        let message = ApproverSetUpdate.message(fileDigest: file.digest, installationId: identity.installationId, fromVersion: current.version)
        let signatures = try ApprovalRecord.files(in: signaturesDirectory, kind: "signature")
        let quorum = Quorum(roles: current.quorum)
        let outcome = quorum.tally(signatures, trusted: current, isValid: { record in
            Data(base64Encoded: record.signature).map { record.publicKey.isValidSignature($0, for: message) } ?? false
        }, invalid: { "the signature by \($0.name) does not cover this file as it is now (or was made for another database or set version)" },
           excluded: { _, _ in nil })
        try quorum.require(outcome, what: "changing the approvers needs signatures of the current set by",
                           hint: " (only current approvers can change the set; sign with `remedy approvers sign \(path) --key KEY`)")
        let people = Dictionary(outcome.approvers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let version = current.version + 1
        struct Updated: Encodable { let fromVersion: Int; let toVersion: Int; let fileDigest: String; let approvers: [Approver]; let signedBy: [String] }
        try connection.transaction {
            try RemedyStore(connection: connection).record(file, version: version, signatures: outcome.records)
            try AuditLog(connection: connection).append([
                try AuditEvent(action: "approvers.updated", actor: people.keys.sorted().joined(separator: ","),
                               details: Updated(fromVersion: current.version, toVersion: version, fileDigest: file.digest,
                                                approvers: file.approvers, signedBy: people.keys.sorted())),
            ])
        }
        return version
    }
}
