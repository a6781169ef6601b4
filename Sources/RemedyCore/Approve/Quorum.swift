/// The sign-off rules apply enforces: every approval is by a trusted key and signs this very
/// plan; the planner does not approve their own plan; each person counts once; and the distinct
/// people cover the quorum's roles.
public struct Quorum: Sendable {
    public let roles: [String]

    public init(roles: [String]) {
        self.roles = roles
    }

    /// The approvals that count, or the first refusal with its reason.
    public func check(_ approvals: [ApprovalRecord], for bundle: PlanBundle, trusted: RemedyStore.ApproverSet) throws -> [Approver] {
        var people: [String: Approver] = [:]
        for approval in approvals {
            guard let approver = trusted.trusted(approval.publicKey) else {
                throw RemedyError(.quorum, "the approval signed as \(approval.name) uses key \(approval.publicKey), which is not a trusted approver; remove it from \(bundle.path)/approvals")
            }
            guard approval.isValid(for: bundle) else {
                throw RemedyError(.quorum, "the approval by \(approver.name) does not sign this plan (\(bundle.digest.prefix(16))…) on this database: it was made for another plan or altered")
            }
            guard approver.publicKey != bundle.plan.planner.publicKey, approver.name != bundle.plan.planner.name else {
                throw RemedyError(.quorum, "\(approver.name) made this plan and cannot also approve it; another person must sign")
            }
            if let earlier = people[approver.name], earlier.publicKey != approver.publicKey {
                throw RemedyError(.quorum, "\(approver.name) approved twice (with two keys); the quorum needs distinct people")
            }
            people[approver.name] = approver
        }
        let missing = Quorum.missingRoles(roles, people: Array(people.values))
        guard missing.isEmpty else {
            let have = people.values.sorted { $0.name < $1.name }.map { "\($0.name) (\($0.role))" }
            throw RemedyError(.quorum, "the quorum needs \(roles.joined(separator: " + ")); missing: \(missing.joined(separator: ", "))\(have.isEmpty ? "; no approvals yet" : "; approved by \(have.joined(separator: ", "))")")
        }
        return people.values.sorted { $0.name < $1.name }
    }

    /// The required roles no distinct person covers: each role takes one person of that role.
    static func missingRoles(_ roles: [String], people: [Approver]) -> [String] {
        var available = Dictionary(grouping: people, by: \.role).mapValues(\.count)
        return roles.filter { role in
            guard let count = available[role], count > 0 else { return true }
            available[role] = count - 1
            return false
        }
    }
}
