import Rupiah

/// The plan as a person reads it: like a diff, one line per user, then the totals.
public struct PlanSummary {
    public let digest: String
    /// The plan's fields; its lines are read from `preview`.
    public let plan: Plan
    public let preview: PlanPreview
    /// Lines shown per section; the rest are counted.
    public var maxLines: Int { preview.maxLines }

    public init(bundle: PlanBundle, maxLines: Int = 200) {
        self.init(digest: bundle.digest, plan: bundle.plan, preview: PlanPreview(plan: bundle.plan, maxLines: maxLines))
    }

    /// A plan written from a spool: the same summary, from its preview.
    public init(written: WrittenPlan) {
        self.init(digest: written.digest, plan: written.header, preview: written.preview)
    }

    init(digest: String, plan: Plan, preview: PlanPreview) {
        self.digest = digest
        self.plan = plan
        self.preview = preview
    }

    public var lines: [String] {
        var out: [String] = []
        out.append("Plan \(digest.prefix(16))… (\(plan.kind.rawValue)) for job \(plan.job) on \(plan.database.databaseName)")
        let parameters = plan.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        out.append("  parameters: \(parameters.isEmpty ? "none" : parameters)")
        out.append("  snapshot \(plan.snapshotAt), expires \(plan.expiresAt); planned by \(plan.planner.name) (\(plan.planner.role))")
        if let replica = plan.readReplica {
            out.append("  snapshot taken on the \(replica.description.terminalSafe); apply rechecks every line on the primary and skips what changed since")
        }
        out.append("  balance trigger: \(plan.evidence.triggerRefires ? "re-fires on updates" : "fires on the transition only") — \(plan.evidence.triggerRefiresReason)")
        if !plan.warnings.isEmpty {
            out.append("  \(plan.warnings.count) warning(s) from remedy check, for the approvers to confirm:")
            for warning in plan.warnings { out.append("    ! \(warning.terminalSafe)") }
        }
        let verdicts = plan.gatewayVerdicts
        // Only a checked plan's lines carry a mark: on an unchecked plan every line would say "not checked".
        func mark(_ decomposition: Decomposition?) -> String {
            guard plan.gateway != nil else { return "" }
            return "  [\(Plan.gatewayStatus(of: decomposition, in: verdicts).rawValue)]"
        }
        if let gateway = plan.gateway { out += GatewaySummary(check: gateway).lines }
        out.append("")
        let width = max(12, preview.widestAmount ?? 12)
        let labelWidth = min(24, max(8, preview.longestLabel ?? 8))
        func pad(_ text: String, _ count: Int) -> String { text.count >= count ? text : text + String(repeating: " ", count: count - text.count) }
        // Escaped before padding, so the columns line up with what the terminal shows.
        func shown(_ label: String) -> String { label.terminalSafe }

        if preview.adjustmentCount == 0 { out.append("No balance to move.") }
        for line in preview.adjustments.prefix(maxLines) {
            let sign = line.delta.isNegative ? "-" : "+"
            var text = "\(sign) \(pad(line.delta.unsignedRupiah, width))  \(pad(shown(line.label), labelWidth))  \(line.attribution.shortText)"
            if line.ambiguous { text += "  (ambiguous: \(line.decompositions >= Attribution.maxCountedDecompositions ? "≥\(line.decompositions)" : "\(line.decompositions)") ways; the amount is exact)" }
            if line.receivable.isPositive { text += "  (clamped: \(line.receivable.rupiah) stays owed)" }
            out.append(text + mark(line.attribution))
        }
        if preview.adjustmentCount > maxLines { out.append("  … and \(preview.adjustmentCount - maxLines) more adjustments (remedy show --all)") }
        if preview.holdCount > 0 {
            out.append("")
            out.append("Held for a person (\(preview.holdCount), untouched):")
            for line in preview.holds.prefix(maxLines) {
                let known = line.acknowledged.map { "  (acknowledged by \($0.by): \(shown($0.reason)))" } ?? ""
                out.append("\(line.acknowledged == nil ? "!" : "~") \(pad(line.excess.rupiah, width))  \(pad(shown(line.label), labelWidth))  [\(line.reason.rawValue)] \(shown(line.explanation))\(known)\(mark(line.closest))")
            }
            if preview.holdCount > maxLines { out.append("  … and \(preview.holdCount - maxLines) more holds (remedy show --all)") }
        }
        if preview.settledCount > 0 {
            out.append("")
            out.append("Already corrected (no excess left): \(preview.settledCount) user(s)")
        }
        let totals = plan.totals
        out.append("")
        out.append("Totals")
        if plan.kind == .revert {
            out.append("  reverts plan        \(plan.reverts ?? "?")")
            out.append("  to give back        \(totals.toGiveBack.rupiah)  (\(totals.adjustmentCount) users)")
            out.append("  receivables closed  \(totals.owed.unsignedRupiah)")
            return out
        }
        out.append("  over-credit found   \(totals.overCreditFound.rupiah)")
        out.append("  to take back        \(totals.toTakeBack.rupiah)  (\(totals.adjustmentCount) users, \(totals.ambiguousCount) ambiguous)")
        if totals.toGiveBack.isPositive { out.append("  to give back        \(totals.toGiveBack.rupiah)  (restored deductions)") }
        out.append("  owed (receivables)  \(totals.owed.rupiah)")
        out.append("  held for review     \(totals.heldExcess.rupiah) excess, \(totals.heldShortfall.rupiah) shortfall  (\(totals.holdCount) users, \(totals.acknowledgedCount) acknowledged)")
        out.append("  would go negative   \(totals.wouldGoNegative.rupiah)")
        out.append("  users examined      \(totals.usersExamined), already corrected \(totals.settledCount)")
        return out
    }
}
