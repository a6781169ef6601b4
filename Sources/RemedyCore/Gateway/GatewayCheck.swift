import Rupiah

/// What plan.json records of a gateway cross-check (`Plan.gateway`): every reference asked, the
/// SHA-256 of its stored response (`evidence/REFERENCE.json`), and what remedy concluded. The
/// digest covers this list and the list covers each file, so adding, removing or altering a
/// response changes what approvers sign (PlanBundle+Evidence checks it on every read).
public struct GatewayCheck: Codable, Sendable, Equatable {
    /// The plan the evidence was gathered for (this plan's lines are that plan's, some moved to held).
    public var checkedPlan: String
    /// The gateway asked (`gateway.base_url`).
    public var gateway: String
    public var paidAtToleranceSeconds: Int
    /// Sorted by reference.
    public var references: [GatewayReferenceCheck]
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
}

/// How `show` and the HTML report mark a plan line.
public enum LineGatewayStatus: String, Sendable {
    case confirmed = "gateway-confirmed"
    case disagrees
    case notChecked = "not checked"
}

extension Plan {
    /// Each checked reference's verdict, for marking lines.
    public var gatewayVerdicts: [String: GatewayReferenceCheck] {
        Dictionary((gateway?.references ?? []).map { ($0.reference, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// A line's mark: disagrees when any of its top-ups does, confirmed when every one was.
    public static func gatewayStatus(of decomposition: Decomposition?, in verdicts: [String: GatewayReferenceCheck]) -> LineGatewayStatus {
        let references = decomposition?.topUps.map(\.reference) ?? []
        guard !references.isEmpty, !verdicts.isEmpty else { return .notChecked }
        let found = references.map { verdicts[$0]?.verdict }
        if found.contains(where: { $0 == .disagrees || $0 == .unknown }) { return .disagrees }
        return found.allSatisfy { $0 == .confirmed } ? .confirmed : .notChecked
    }

    /// The reasons of a line's disagreeing top-ups, joined.
    public static func gatewayReasons(of decomposition: Decomposition?, in verdicts: [String: GatewayReferenceCheck]) -> String? {
        let reasons = (decomposition?.topUps ?? []).compactMap { verdicts[$0.reference] }
            .filter { $0.verdict == .disagrees || $0.verdict == .unknown }.compactMap(\.reason)
        return reasons.isEmpty ? nil : reasons.joined(separator: "; ")
    }
}
