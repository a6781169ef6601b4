import Crypto
import Foundation
import Postgres
import Rupiah
import Yams

/// A standing policy: a small file, signed by at least the quorum its job requires, that lets
/// `remedy run` apply a job's lines without a per-plan sign-off, within limits: the job's code
/// (the spec digests it allows), the classifications allowed, the largest adjustment per user,
/// the largest total and the most users, each over a rolling 24 hours, and a validity period.
/// One changed byte, an expiry or a missing signature and nothing applies. Signatures sit beside
/// the file in `FILE.approvals/`, as for approver-set updates.
public struct StandingPolicy: Sendable {
    public let name: String
    public let job: String
    /// The job spec digests (job.yaml and its SQL) the signers allowed: an edited detect.sql is
    /// another spec, and moves nothing under this policy.
    public let specDigests: [String]
    public let classifications: Set<SignatureFamily>
    public let maxSingleAdjustment: Money
    public let maxTotalPerRun: Money
    public let maxUsers: Int
    public let validFrom: Timestamp
    public let validUntil: Timestamp
    /// SHA-256 of the file's bytes: what the signatures cover and what plans record.
    public let digest: String
    public let path: String

    public static func load(path: String) throws -> StandingPolicy {
        guard let data = FileManager.default.contents(atPath: path) else { throw RemedyError(.io, "cannot read policy file \(path)") }
        guard let text = String(data: data, encoding: .utf8) else { throw RemedyError(.badInput, "\(path) is not UTF-8 text") }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch { throw RemedyError(.badInput, "\(path): not valid YAML") }
        var node = try SpecNode(root, path: "", file: path)
        let name = try node.string("policy")
        let job = try node.string("job")
        let specDigests = try node.strings("job_spec_digests")
        guard !specDigests.isEmpty else { throw RemedyError(.badInput, "\(path): job_spec_digests must list at least one job spec digest") }
        for digest in specDigests where digest.range(of: #"^[0-9a-f]{64}\z"#, options: .regularExpression) == nil {
            throw RemedyError(.badInput, "\(path): job_spec_digests: \"\(digest.prefix(70))\" is not a spec digest (64 lowercase hex digits, as `remedy policy check` prints)")
        }
        var families: Set<SignatureFamily> = []
        for word in try node.strings("classifications") {
            guard let family = SignatureFamily(rawValue: word) else {
                throw RemedyError(.badInput, "\(path): classification \"\(word)\" is unknown; known: \(SignatureFamily.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            families.insert(family)
        }
        func money(_ key: String) throws -> Money {
            do { return try Money(exactText: try node.string(key)) } catch let error as MoneyParseError {
                throw RemedyError(.badInput, "\(path): \(key): \(error)")
            }
        }
        let policy = StandingPolicy(
            name: name, job: job, specDigests: specDigests, classifications: families,
            maxSingleAdjustment: try money("max_single_adjustment"), maxTotalPerRun: try money("max_total_per_run"),
            maxUsers: try node.int("max_users", range: 1...1_000_000),
            validFrom: try Timestamp(iso8601: try node.string("valid_from")), validUntil: try Timestamp(iso8601: try node.string("valid_until")),
            digest: SHA256.hash(data: data).hexString, path: path)
        try node.finish()
        guard policy.validFrom < policy.validUntil else { throw RemedyError(.badInput, "\(path): valid_from must be before valid_until") }
        return policy
    }

    var signaturesDirectory: String { path + ".approvals" }

    static func message(digest: String, installationId: String) -> Data {
        Data("remedy/standing-policy/v1\nfile=\(digest)\ninstallation=\(installationId)\n".utf8)
    }

    /// Signs the policy as one of the trusted approvers; returns the signature file's path.
    public func sign(with key: SigningKey, connection: PostgresConnection) throws -> String {
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        let approver = try store.requireTrusted(key, as: "approver")
        let signature = try key.sign(StandingPolicy.message(digest: digest, installationId: try store.identity().installationId))
        let record = ApprovalRecord(format: "remedy-policy-approval/v1", planDigest: digest, name: approver.name, role: approver.role,
                                    publicKey: approver.publicKey, signature: signature.base64EncodedString(),
                                    signedAt: try connection.query(ApplySQL.now)[0].decode(0, as: String.self))
        try FileManager.default.createDirectory(atPath: signaturesDirectory, withIntermediateDirectories: true)
        let out = "\(signaturesDirectory)/\(approver.name)-\(approver.role).json"
        try CanonicalJSON.encode(record).write(to: URL(fileURLWithPath: out), options: .atomic)
        return out
    }

    /// The signers, if the policy is for this job and this very job spec, in force now, and signed
    /// by the job's quorum of distinct trusted people other than the operator (by key and by
    /// name); otherwise the reason it is refused.
    public func verify(for spec: JobSpec, operator operatorKey: PublicKeyText, connection: PostgresConnection) throws -> [Approver] {
        guard job == spec.name else { throw RemedyError(.quorum, "policy \(name) is for job \(job), not \(spec.name)") }
        try requireAllowed(spec)
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        guard let trusted = try store.currentApproverSet() else { throw RemedyError(.notInitialized, "no trusted approvers recorded; run `remedy init`") }
        // The operator as the database knows them: one person's second key is still that person.
        guard let operatorName = trusted.trusted(operatorKey)?.name else {
            throw RemedyError(.untrustedKey, "the operator key (\(operatorKey)) is not a trusted approver in this database; add it with `remedy approvers update`")
        }
        let now = try Timestamp(iso8601: try connection.query(ApplySQL.now)[0].decode(0, as: String.self))
        guard validFrom <= now, now < validUntil else {
            throw RemedyError(.expired, "policy \(name) is valid from \(validFrom) until \(validUntil), not now (\(now)); renew it and have it signed again")
        }
        let message = StandingPolicy.message(digest: digest, installationId: try store.identity().installationId)
        let signatures = try ApprovalRecord.files(in: signaturesDirectory, kind: "policy signature")
        // The same counting as a plan's approvals; the operator (by key or by name) does not count.
        let quorum = Quorum(roles: spec.approval.quorumRoles)
        let outcome = quorum.tally(signatures, trusted: trusted, isValid: { record in
            Data(base64Encoded: record.signature).map { record.publicKey.isValidSignature($0, for: message) } ?? false
        }, invalid: { "the policy signature by \($0.name) does not cover \(path) as it is now: the file changed after signing, or it was signed for another database" },
           excluded: { approver, _ in
            approver.publicKey == operatorKey || approver.name == operatorName
                ? "\(approver.name) signed the policy and cannot also be its operator, with this key or another; run it as another person" : nil
        })
        try quorum.require(outcome, what: "policy \(name) needs signatures by")
        return outcome.approvers
    }

    /// Refuses a job spec whose digest the signers did not list: the job's files changed (or
    /// another `jobs/` directory was found) since the policy was signed.
    func requireAllowed(_ spec: JobSpec) throws {
        guard specDigests.contains(spec.digest) else {
            throw RemedyError(.tampered, "policy \(name) does not allow the job spec in \(spec.directory): its digest is \(spec.digest), the policy allows \(specDigests.joined(separator: ", ")); restore the job's files, or have a policy listing the new digest signed")
        }
    }

    /// Splits adjustments into those the policy allows (in plan order, until a limit is reached)
    /// and the rest, which wait for a person's sign-off. `alreadyMoved`: what automatic plans of
    /// the job moved in the last 24 hours, which counts against the same limits.
    public func partition(_ adjustments: [AdjustmentLine], alreadyMoved: PolicyUsage = PolicyUsage()) -> (allowed: [AdjustmentLine], rest: [AdjustmentLine]) {
        var allowed: [AdjustmentLine] = []
        var rest: [AdjustmentLine] = []
        var total = alreadyMoved.total
        var perUser = alreadyMoved.perUser
        for line in adjustments {
            let size = line.delta.isNegative ? Money(minorUnits: -line.delta.minorUnits) : line.delta
            let families = Set(line.attribution.families)
            let isNewUser = perUser[line.userId] == nil
            guard !families.isEmpty, families.isSubset(of: classifications),
                  let userTotal = try? (perUser[line.userId] ?? .zero).adding(size), userTotal <= maxSingleAdjustment,
                  !isNewUser || perUser.count < maxUsers, let next = try? total.adding(size), next <= maxTotalPerRun else {
                rest.append(line)
                continue
            }
            total = next
            perUser[line.userId] = userTotal
            allowed.append(line)
        }
        return (allowed, rest)
    }

    /// Whether every line of an automatic plan lies inside this policy (apply re-checks it).
    func covers(_ adjustments: [AdjustmentLine], alreadyMoved: PolicyUsage = PolicyUsage()) -> Bool {
        partition(adjustments, alreadyMoved: alreadyMoved).rest.isEmpty
    }
}
