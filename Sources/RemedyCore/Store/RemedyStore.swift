import Foundation
import Logging
import Postgres

/// remedy's own schema in the shop's database: creating and upgrading it, the installation's
/// identity, and the trusted approvers. Everything here is read or written through this type.
public struct RemedyStore {
    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    public struct InitResult: Sendable {
        public let fromVersion: Int
        public let toVersion: Int
        public let approverSetVersion: Int
        public let createdApprovers: Bool
    }

    /// Creates or upgrades the schema and, the first time, records the trusted approvers. Later
    /// runs accept the same file (idempotent) and refuse a different one: the trusted set then
    /// changes only through `remedy approvers update`, signed by the current quorum.
    public func initialize(approvers file: ApproverFile) throws -> InitResult {
        try connection.transaction {
            try connection.execute(RemedySchemaSQL.lockInit, [RemedySchemaSQL.initLockKey])
            let exists = try connection.query(RemedySchemaSQL.schemaExists)[0].decode(0, as: Bool.self)
            let from = exists ? try connection.query(RemedySchemaSQL.currentVersion)[0].decode(0, as: Int.self) : 0
            guard from <= RemedySchemaSQL.latestVersionAvailable else {
                throw RemedyError(.notInitialized, "remedy's schema is at version \(from), newer than this remedy knows (\(RemedySchemaSQL.latestVersionAvailable)); upgrade remedy")
            }
            for migration in RemedySchemaSQL.migrations where migration.version > from {
                try connection.executeScript(migration.sql)
                try connection.execute(RemedySchemaSQL.recordVersion, [migration.version])
            }
            try connection.execute(RemedyStoreSQL.insertRedactionKey, [RedactionKey.generateSecret()])
            if let current = try currentApproverSet() {
                guard current.digest == file.digest || (Set(current.approvers) == Set(file.approvers) && current.quorum == file.quorum) else {
                    throw RemedyError(.quorum, "the trusted approvers are already recorded (set \(current.version)) and differ from this file; a local file never overrides them: change them with `remedy approvers update FILE`, signed by the current quorum")
                }
                return InitResult(fromVersion: from, toVersion: RemedySchemaSQL.latestVersionAvailable, approverSetVersion: current.version, createdApprovers: false)
            }
            try connection.execute(RemedyStoreSQL.createInstallation, [PostgresArray(file.quorum)])
            try record(file, version: 1, signatures: [])
            return InitResult(fromVersion: from, toVersion: RemedySchemaSQL.latestVersionAvailable, approverSetVersion: 1, createdApprovers: true)
        }
    }

    /// Records a set with the file it comes from and, after the first, its signers' signatures.
    func record(_ file: ApproverFile, version: Int, signatures: [ApprovalRecord]) throws {
        let signatureText = String(decoding: try CanonicalJSON.encode(signatures.sorted { ($0.name, $0.publicKey.base64) < ($1.name, $1.publicKey.base64) }), as: UTF8.self)
        try connection.execute(RemedyStoreSQL.insertApproverSet, [version, file.digest, signatureText, file.text])
        for approver in file.approvers {
            try connection.execute(RemedyStoreSQL.insertApprover, [version, approver.publicKey.base64, approver.name, approver.role])
        }
    }

    /// Refuses to go on against a database where `remedy init` has not run (or is outdated).
    public func requireInitialized() throws {
        let exists = try connection.query(RemedySchemaSQL.schemaExists)[0].decode(0, as: Bool.self)
        guard exists else {
            throw RemedyError(.notInitialized, "remedy's schema is not in this database; run `remedy init --approvers FILE` first")
        }
        let version = try connection.query(RemedySchemaSQL.currentVersion)[0].decode(0, as: Int.self)
        guard version == RemedySchemaSQL.latestVersionAvailable else {
            throw RemedyError(.notInitialized, "remedy's schema is at version \(version), this remedy needs \(RemedySchemaSQL.latestVersionAvailable); run `remedy init --approvers FILE` to upgrade")
        }
    }

    public struct ApproverSet: Sendable {
        public let version: Int
        public let digest: String
        public let approvers: [Approver]
        public let quorum: [String]

        public func trusted(_ key: PublicKeyText) -> Approver? {
            approvers.first { $0.publicKey == key }
        }
    }

    /// The trusted set in force, after checking every set as recorded (ApproverSetHistory); nil
    /// before init.
    public func currentApproverSet() throws -> ApproverSet? {
        try ApproverSetHistory(connection: connection).verifiedCurrent()
    }

    /// The trusted approver for a key, or a refusal naming the key.
    public func requireTrusted(_ key: SigningKey, as what: String) throws -> Approver {
        guard let set = try currentApproverSet(), let approver = set.trusted(key.publicKey) else {
            throw RemedyError(.untrustedKey, "the \(what) key of \(key.name) (\(key.publicKey)) is not a trusted approver in this database; add it with `remedy approvers update`")
        }
        guard approver.name == key.name, approver.role == key.role else {
            throw RemedyError(.untrustedKey, "the \(what) key says \(key.name)/\(key.role) but the database trusts it as \(approver.name)/\(approver.role); use the key file that belongs to it")
        }
        return approver
    }

    public func identity() throws -> DatabaseIdentity {
        guard let installation = try connection.query(RemedyStoreSQL.installation).first else {
            throw RemedyError(.notInitialized, "remedy is not initialized in this database; run `remedy init --approvers FILE` first")
        }
        let name = try connection.query(RemedyStoreSQL.databaseName)[0].decode(0, as: String.self)
        var system: String?
        if try connection.query(RemedyStoreSQL.canReadControlData)[0].decode(0, as: Bool.self) {
            system = try connection.query(RemedyStoreSQL.systemIdentifier).first?.decode(0, as: String?.self)
        }
        return DatabaseIdentity(installationId: try installation.decode(0, as: String.self), databaseName: name, systemIdentifier: system)
    }

    /// `{finance,engineering}` → ["finance", "engineering"] (role words never need quoting).
    static func parseTextArray(_ text: String) -> [String] {
        text.trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",").map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
    }
}
