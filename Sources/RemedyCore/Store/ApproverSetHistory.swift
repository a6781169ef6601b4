import Crypto
import Foundation
import Postgres

/// The trusted approvers as recorded, checked on every read: each set's keys are exactly the
/// approvers file recorded with it (whose SHA-256 is the digest its signers signed), and each set
/// after the first carries signatures by a quorum of the set before. A key added or swapped, or a
/// set inserted, by SQL behind remedy's back is refused instead of trusted.
///
/// What it cannot catch: someone able to disable remedy's triggers (the tables' owner or a
/// superuser) rewriting the first set together with its file. Compare `remedy approvers list`
/// with the approvers file kept outside the database.
struct ApproverSetHistory {
    let connection: PostgresConnection

    func verifiedCurrent() throws -> RemedyStore.ApproverSet? {
        try verifiedSets().last
    }

    /// Every set recorded, oldest first, each checked as above; empty before init.
    func verifiedSets() throws -> [RemedyStore.ApproverSet] {
        var sets: [RemedyStore.ApproverSet] = []
        guard let installation = try connection.query(RemedyStoreSQL.installation).first else { return sets }
        let installationId = try installation.decode(0, as: String.self)
        let quorum = RemedyStore.parseTextArray(try installation.decode(1, as: String.self))
        let unverifiable = try installation.decode(2, as: Int.self)
        var previous: RemedyStore.ApproverSet?
        let pins = try pinnedSets()
        for row in try connection.query(RemedyStoreSQL.approverSets) {
            let version = try row.decode(0, as: Int.self)
            let digest = try row.decode(1, as: String.self)
            func tampered(_ why: String) -> RemedyError {
                RemedyError(.tampered, "the trusted approvers recorded in this database were changed behind remedy's back: set \(version) \(why); restore remedy's tables from a backup and find out who changed them")
            }
            guard version == (previous?.version ?? 0) + 1 else { throw tampered("does not follow set \(previous?.version ?? 0)") }
            let approvers = try connection.query(RemedyStoreSQL.approversOfSet, [version]).map { row in
                Approver(name: try row.decode(0, as: String.self), role: try row.decode(1, as: String.self),
                         publicKey: try PublicKeyText(validating: try row.decode(2, as: String.self)))
            }
            if let fileText = try row.decode(3, as: String?.self) {
                guard SHA256.hash(data: Data(fileText.utf8)).hexString == digest else { throw tampered("does not match the digest of its approvers file") }
                guard let file = try? ApproverFile.parse(fileText, source: "approver set \(version)", digest: digest),
                      Set(file.approvers) == Set(approvers) else {
                    throw tampered("holds keys its approvers file does not list, or lacks some it does")
                }
                if let previous {
                    let records = (try? CanonicalJSON.decode([ApprovalRecord].self, from: Data(try row.decode(2, as: String.self).utf8))) ?? []
                    let message = ApproverSetUpdate.message(fileDigest: digest, installationId: installationId, fromVersion: previous.version)
                    var people: [String: Approver] = [:]
                    for record in records {
                        guard let signer = previous.trusted(record.publicKey), let signature = Data(base64Encoded: record.signature),
                              record.publicKey.isValidSignature(signature, for: message) else {
                            throw tampered("carries a signature that no approver of set \(previous.version) made over it")
                        }
                        people[signer.name] = signer
                    }
                    guard Quorum.missingRoles(quorum, people: Array(people.values)).isEmpty else {
                        throw tampered("is not signed by a quorum (\(quorum.joined(separator: " + "))) of set \(previous.version)")
                    }
                }
            } else if version > unverifiable {
                throw tampered("has no approvers file recorded with it, so remedy did not record it")
            } else {
                // Recorded before approvers files were kept: its keys as pinned at the upgrade.
                guard let pinned = pins[version], pinned == Set(approvers) else {
                    throw tampered("holds keys other than those pinned when remedy's schema was upgraded (a set recorded before version 3)")
                }
            }
            let set = RemedyStore.ApproverSet(version: version, digest: digest, approvers: approvers, quorum: quorum)
            sets.append(set)
            previous = set
        }
        return sets
    }

    /// The keys of each set recorded before version 3, as pinned by migration 5.
    private func pinnedSets() throws -> [Int: Set<Approver>] {
        struct Pinned: Decodable { let name: String; let role: String; let public_key: String }
        var pins: [Int: Set<Approver>] = [:]
        for row in try connection.query(RemedyStoreSQL.approverSetPins) {
            let version = try row.decode(0, as: Int.self)
            guard let listed = try? JSONDecoder().decode([Pinned].self, from: Data(try row.decode(1, as: String.self).utf8)) else {
                throw RemedyError(.tampered, "the pinned keys of approver set \(version) are not readable; restore remedy's tables from a backup")
            }
            pins[version] = Set(try listed.map { Approver(name: $0.name, role: $0.role, publicKey: try PublicKeyText(validating: $0.public_key)) })
        }
        return pins
    }
}
