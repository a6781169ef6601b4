/// The sign-off rules, in one place for every signature remedy counts (a plan's approvals at
/// `remedy approve` and at apply, a standing policy's signers, a new approvers file's signers): a
/// signature counts when it is by a trusted key, valid for what it signs, not by someone excluded
/// (a plan's signed planner, a policy's operator), and the person's first; the distinct people
/// counted must cover the quorum's roles.
///
/// A signature that does not count is set aside and reported, never a permanent block: anyone
/// able to add a row to remedy.approvals (an append-only table) could otherwise stop a plan for good.
public struct Quorum: Sendable {
    public let roles: [String]

    public init(roles: [String]) {
        self.roles = roles
    }

    public struct Outcome: Sendable {
        /// The distinct people who count, by name.
        public let approvers: [Approver]
        /// Their signatures, as given.
        public let records: [ApprovalRecord]
        /// Each approval set aside, with why.
        public let ignored: [String]
    }

    /// The approvals of a plan that count and those set aside, or a refusal naming the missing
    /// roles (and what was set aside, since that is usually why).
    public func check(_ approvals: [ApprovalRecord], for bundle: PlanBundle, trusted: RemedyStore.ApproverSet) throws -> Outcome {
        let outcome = tally(approvals, trusted: trusted, isValid: { $0.isValid(for: bundle) },
                            invalid: { "the approval by \($0.name) does not sign this plan (\(bundle.digest.prefix(16))…) on this database: it was made for another plan or altered" },
                            excluded: { Quorum.reasonNotCounted($0, planner: bundle.plan.planner, counted: $1) })
        try require(outcome, what: "the quorum needs")
        return outcome
    }

    /// Counts signatures, whatever they sign (a plan, a standing policy, a new approvers file):
    /// each must be by a trusted key, valid (`isValid`), and not excluded (`excluded` gives the
    /// reason, seeing who already counts); each person counts once. The rest are set aside.
    public func tally(_ records: [ApprovalRecord], trusted: RemedyStore.ApproverSet, isValid: (ApprovalRecord) -> Bool,
                      invalid: (Approver) -> String, excluded: (Approver, [Approver]) -> String?) -> Outcome {
        var people: [Approver] = []
        var counted: [ApprovalRecord] = []
        var ignored: [String] = []
        for record in records {
            guard let approver = trusted.trusted(record.publicKey) else {
                ignored.append("the signature by \(record.name) uses key \(record.publicKey), which is not a trusted approver")
                continue
            }
            guard isValid(record) else {
                ignored.append(invalid(approver))
                continue
            }
            if let reason = excluded(approver, people) ?? Quorum.reasonCountedAlready(approver, counted: people) {
                ignored.append(reason)
                continue
            }
            people.append(approver)
            counted.append(record)
        }
        return Outcome(approvers: people.sorted { $0.name < $1.name }, records: counted, ignored: ignored)
    }

    /// Refuses unless the people counted cover every role: "WHAT a + b; missing: …".
    public func require(_ outcome: Outcome, what: String, hint: String = "") throws {
        let missing = Quorum.missingRoles(roles, people: outcome.approvers)
        guard missing.isEmpty else {
            let have = outcome.approvers.map { "\($0.name) (\($0.role))" }
            throw RemedyError(.quorum, "\(what) \(roles.joined(separator: " + ")); missing: \(missing.joined(separator: ", "))"
                + (have.isEmpty ? "; no signature counts yet" : "; signed by \(have.joined(separator: ", "))")
                + (outcome.ignored.isEmpty ? "" : "; set aside: \(outcome.ignored.joined(separator: "; "))") + hint)
        }
    }

    /// Why a trusted approver's signature of a plan does not count, or nil: the planner (by signed
    /// key or by name) does not approve their own plan, and a person counts once.
    static func reasonNotCounted(_ approver: Approver, planner: Approver, counted: [Approver]) -> String? {
        if approver.publicKey == planner.publicKey || approver.name == planner.name {
            return "\(approver.name) made this plan and cannot also approve it; another person must sign"
        }
        return reasonCountedAlready(approver, counted: counted)
    }

    /// A person counts once, whichever of their keys signs.
    static func reasonCountedAlready(_ approver: Approver, counted: [Approver]) -> String? {
        if let earlier = counted.first(where: { $0.publicKey == approver.publicKey || $0.name == approver.name }) {
            return earlier.publicKey == approver.publicKey
                ? "\(approver.name) has already approved this"
                : "\(approver.name) has already approved this (as \(earlier.role)); another approval with another key would count one person twice"
        }
        return nil
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
