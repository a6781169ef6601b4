import Rupiah

/// The plan as a person reads it: like a diff, one line per user, then the totals.
public struct PlanSummary {
    public let bundle: PlanBundle
    /// Lines shown per section; the rest are counted.
    public let maxLines: Int

    public init(bundle: PlanBundle, maxLines: Int = 200) {
        self.bundle = bundle
        self.maxLines = maxLines
    }

    public var lines: [String] {
        let plan = bundle.plan
        var out: [String] = []
        out.append("Plan \(bundle.digest.prefix(16))… (\(plan.kind.rawValue)) for job \(plan.job) on \(plan.database.databaseName)")
        let parameters = plan.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        out.append("  parameters: \(parameters.isEmpty ? "none" : parameters)")
        out.append("  snapshot \(plan.snapshotAt), expires \(plan.expiresAt); planned by \(plan.planner.name) (\(plan.planner.role))")
        out.append("  balance trigger: \(plan.evidence.triggerRefires ? "re-fires on updates" : "fires on the transition only") — \(plan.evidence.triggerRefiresReason)")
        out.append("")
        let width = max(12, (plan.adjustments.map { $0.delta.rupiah.count } + plan.holds.map { $0.excess.rupiah.count }).max() ?? 12)
        let labelWidth = min(24, max(8, (plan.adjustments.map(\.label.count) + plan.holds.map(\.label.count)).max() ?? 8))
        func pad(_ text: String, _ count: Int) -> String { text.count >= count ? text : text + String(repeating: " ", count: count - text.count) }
        func shown(_ label: String) -> String { PlanSummary.printable(label) }

        if plan.adjustments.isEmpty { out.append("No balance to move.") }
        for line in plan.adjustments.prefix(maxLines) {
            let sign = line.delta.isNegative ? "-" : "+"
            var text = "\(sign) \(pad(line.delta.unsignedRupiah, width))  \(pad(shown(line.label), labelWidth))  \(line.attribution.shortText)"
            if line.ambiguous { text += "  (ambiguous: \(line.decompositions >= Attribution.maxCountedDecompositions ? "≥\(line.decompositions)" : "\(line.decompositions)") ways; the amount is exact)" }
            if line.receivable.isPositive { text += "  (clamped: \(line.receivable.rupiah) stays owed)" }
            out.append(text)
        }
        if plan.adjustments.count > maxLines { out.append("  … and \(plan.adjustments.count - maxLines) more adjustments (remedy show --all)") }
        if !plan.holds.isEmpty {
            out.append("")
            out.append("Held for a person (\(plan.holds.count), untouched):")
            for line in plan.holds.prefix(maxLines) {
                let known = line.acknowledged.map { "  (acknowledged by \($0.by): \(shown($0.reason)))" } ?? ""
                out.append("\(line.acknowledged == nil ? "!" : "~") \(pad(line.excess.rupiah, width))  \(pad(shown(line.label), labelWidth))  [\(line.reason.rawValue)] \(line.explanation)\(known)")
            }
            if plan.holds.count > maxLines { out.append("  … and \(plan.holds.count - maxLines) more holds (remedy show --all)") }
        }
        if !plan.settled.isEmpty {
            out.append("")
            out.append("Already corrected (no excess left): \(plan.settled.count) user(s)")
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

    /// Names come from the database: control characters could rewrite the terminal, so they
    /// are shown escaped.
    static func printable(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
