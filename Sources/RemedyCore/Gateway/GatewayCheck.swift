import Rupiah

/// What plan.json records of a gateway cross-check (`Plan.gateway`) beside its list of checks:
/// every reference asked, the SHA-256 of its stored response (`evidence/REFERENCE.json`), and what
/// remedy concluded. The digest covers the list and the list covers each file, so adding, removing
/// or altering a response changes what approvers sign (GatewayEvidenceFiles checks it on every read).
///
/// The list is plan.json's fourth line array, `gateway_checks` (format v2): 838,008 checks at
/// 1,000,000 users, read a batch at a time like the lines. Plans of format v1 kept it here, in
/// `references`; they are still read, and nothing writes them.
public struct GatewayCheck: Codable, Sendable, Equatable {
    /// The plan the evidence was gathered for (this plan's lines are that plan's, some moved to held).
    public var checkedPlan: String
    /// The gateway asked (`gateway.base_url`).
    public var gateway: String
    public var paidAtToleranceSeconds: Int
    /// Format v1 only (nil in v2, where the list is `Plan.gatewayChecks`). Sorted by reference.
    public var references: [GatewayReferenceCheck]?

    public init(checkedPlan: String, gateway: String, paidAtToleranceSeconds: Int, references: [GatewayReferenceCheck]? = nil) {
        self.checkedPlan = checkedPlan
        self.gateway = gateway
        self.paidAtToleranceSeconds = paidAtToleranceSeconds
        self.references = references
    }
}

public struct GatewayReferenceCheck: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable {
        /// The gateway's record agrees with the shop's on every compared field.
        case confirmed
        /// It differs on a field (`reason` names it and both values).
        case disagrees
        /// The gateway does not know the reference.
        case unknown
        /// Not asked: the shop's reference cannot be sent as is (`reason` says why).
        case notChecked = "not-checked"
        /// A top-up the shop never completed, which the gateway shows paid: the shop owes the user.
        case owedByShop = "owed-by-shop"
        /// A top-up the shop never completed, which the gateway does not show paid either.
        case notPaid = "not-paid"
    }
    public var reference: String
    public var userId: String
    public var transactionId: String
    /// The shop's transaction status when checked.
    public var shopStatus: String
    public var verdict: Verdict
    public var reason: String?
    /// For an owed top-up: what the gateway says the merchant received.
    public var amountReceived: Money?
    /// SHA-256 of `evidence/REFERENCE.json`; nil when nothing was asked.
    public var sha256: String?

    /// The list's order: by reference, then transaction id, each check once (a reference two
    /// transactions share is checked for each). The reader refuses any other order.
    static func inOrder(_ a: GatewayReferenceCheck, _ b: GatewayReferenceCheck) -> Bool {
        (a.reference, a.transactionId) < (b.reference, b.transactionId)
    }

    /// A top-up a plan line names (only those mark lines): every verdict but the two given to the
    /// window's top-ups the shop never completed.
    var isNamedByLine: Bool { verdict != .owedByShop && verdict != .notPaid }
}

/// How `show` and the HTML report mark a plan line.
public enum LineGatewayStatus: String, Sendable {
    case confirmed = "gateway-confirmed"
    case disagrees
    case notChecked = "not checked"
}

/// Each checked reference's verdict, for marking lines: only the top-ups lines name (the window's
/// never-completed ones mark nothing), so a plan of any size keeps a few MB of them. The first
/// check of a reference gives its verdict.
struct GatewayVerdicts {
    private(set) var byReference: [String: GatewayReferenceCheck.Verdict] = [:]

    mutating func add(_ check: GatewayReferenceCheck) {
        guard check.isNamedByLine, byReference[check.reference] == nil else { return }
        byReference[check.reference] = check.verdict
    }

    /// The verdicts of `checks`, of the references in `only` when given.
    static func of(_ checks: GatewayCheckList, only: Set<String>? = nil) throws -> [String: GatewayReferenceCheck.Verdict] {
        var verdicts = GatewayVerdicts()
        try checks.forEachBatch { batch in
            for check in batch where only?.contains(check.reference) ?? true { verdicts.add(check) }
        }
        return verdicts.byReference
    }
}

extension Plan {
    /// A line's mark: disagrees when any of its top-ups does, confirmed when every one was.
    public static func gatewayStatus(of decomposition: Decomposition?, in verdicts: [String: GatewayReferenceCheck.Verdict]) -> LineGatewayStatus {
        gatewayStatus(of: decomposition?.topUps.map(\.reference) ?? [], in: verdicts)
    }

    /// The mark of a line naming these references (show, the HTML report: one rule).
    public static func gatewayStatus(of references: [String], in verdicts: [String: GatewayReferenceCheck.Verdict]) -> LineGatewayStatus {
        guard !references.isEmpty, !verdicts.isEmpty else { return .notChecked }
        let found = references.map { verdicts[$0] }
        if found.contains(where: { $0 == .disagrees || $0 == .unknown }) { return .disagrees }
        return found.allSatisfy { $0 == .confirmed } ? .confirmed : .notChecked
    }
}

extension GatewayCheck: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let checkedPlan = m.string("checked_plan"), let gateway = m.string("gateway"),
              let paidAtToleranceSeconds = m.int("paid_at_tolerance_seconds"),
              let references = m.optionalMember("references", { $0.array(GatewayReferenceCheck.init(reading:)) }) else { return nil }
        self.init(checkedPlan: checkedPlan, gateway: gateway, paidAtToleranceSeconds: paidAtToleranceSeconds, references: references)
    }
}
