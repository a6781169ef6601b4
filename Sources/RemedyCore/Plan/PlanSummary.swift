import Rupiah

/// The plan as a person reads it: like a diff, one line per user, then the totals.
public struct PlanSummary {
    public let digest: String
    /// The plan's fields; its lines are read from `preview`.
    public let plan: Plan
    public let preview: PlanPreview
    /// Lines shown per section; the rest are counted.
    public var maxLines: Int { preview.maxLines }

    /// Where the lines shown come from: the preview's, or (a plan of any size) the streamed bundle's.
    private var streamed: StreamedPlanBundle?
    /// The gateway's checks, for a plan a gateway checked (`remedy evidence`).
    private var gatewayChecks: GatewayCheckList?
    /// Lines decoded at a time from a streamed bundle.
    static let batchLines = 1_000

    public init(bundle: PlanBundle, maxLines: Int = 200) {
        self.init(digest: bundle.digest, plan: bundle.plan, preview: PlanPreview(plan: bundle.plan, maxLines: maxLines))
        gatewayChecks = GatewayCheckList(source: .inline(bundle.plan.allGatewayChecks))
    }

    /// A bundle read with `readStreaming(_:keepingHoldsAndSettled: true, gatewayChecks: .all)`:
    /// the widths and counts from a first pass, the lines shown (every one with `maxLines: .max`)
    /// read again as they are printed.
    public init(streamed: StreamedPlanBundle, maxLines: Int = 200) throws {
        var preview = PlanPreview(maxLines: maxLines)
        preview.limitKept(to: 0)
        try streamed.adjustments.forEachBatch(of: PlanSummary.batchLines) { $0.forEach { preview.add($0) } }
        try streamed.holds?.forEachBatch(of: PlanSummary.batchLines) { $0.forEach { preview.add($0) } }
        try streamed.settled?.forEachBatch(of: PlanSummary.batchLines) { $0.forEach { preview.add($0) } }
        self.init(digest: streamed.bundle.digest, plan: streamed.bundle.plan, preview: preview)
        self.streamed = streamed
        self.gatewayChecks = streamed.gatewayChecks
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

    /// Every line of the summary, in memory.
    public var lines: [String] {
        var out: [String] = []
        // Only a streamed bundle's reads can fail, and `write` is how a streamed summary is printed.
        try? write { out.append($0) }
        return out
    }

    /// The summary a line at a time, each handed to `emit` as it is made.
    public func write(_ emit: (String) throws -> Void) throws {
        try emit("Plan \(digest.prefix(16))… (\(plan.kind.rawValue)) for job \(plan.job) on \(plan.database.databaseName)")
        let parameters = plan.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        try emit("  parameters: \(parameters.isEmpty ? "none" : parameters)")
        try emit("  snapshot \(plan.snapshotAt), expires \(plan.expiresAt); planned by \(plan.planner.name) (\(plan.planner.role))")
        if let replica = plan.readReplica {
            try emit("  snapshot taken on the \(replica.description.terminalSafe); apply rechecks every line on the primary and skips what changed since")
        }
        try emit("  balance trigger: \(plan.evidence.triggerRefires ? "re-fires on updates" : "fires on the transition only") — \(plan.evidence.triggerRefiresReason)")
        if !plan.warnings.isEmpty {
            try emit("  \(plan.warnings.count) warning(s) from remedy check, for the approvers to confirm:")
            for warning in plan.warnings { try emit("    ! \(warning.terminalSafe)") }
        }
        var verdicts: [String: GatewayReferenceCheck.Verdict] = [:]
        if let gateway = plan.gateway {
            guard let gatewayChecks else {
                throw RemedyError(.invariant, "a summary of a plan a gateway checked needs its checks; read it keeping them")
            }
            try GatewaySummary(check: gateway, checks: gatewayChecks).write(emit)
            verdicts = try GatewayVerdicts.of(gatewayChecks, only: try shownReferences())
        }
        // Only a checked plan's lines carry a mark: on an unchecked plan every line would say "not checked".
        func mark(_ decomposition: Decomposition?) -> String {
            guard plan.gateway != nil else { return "" }
            return "  [\(Plan.gatewayStatus(of: decomposition, in: verdicts).rawValue)]"
        }
        try emit("")
        let width = max(12, preview.widestAmount ?? 12)
        let labelWidth = min(24, max(8, preview.longestLabel ?? 8))
        func pad(_ text: String, _ count: Int) -> String { text.count >= count ? text : text + String(repeating: " ", count: count - text.count) }
        // Escaped before padding, so the columns line up with what the terminal shows.
        func shown(_ text: String) -> String { text.terminalSafe }
        func shown(label: String) -> String { label.terminalLabel }

        if preview.adjustmentCount == 0 { try emit("No balance to move.") }
        try eachShown(preview.adjustments, streamed?.adjustments) { line in
            let sign = line.delta.isNegative ? "-" : "+"
            var text = "\(sign) \(pad(line.delta.unsignedRupiah, width))  \(pad(shown(label: line.label), labelWidth))  \(line.attribution.shortText)"
            if line.ambiguous { text += "  (ambiguous: \(line.decompositions >= Attribution.maxCountedDecompositions ? "≥\(line.decompositions)" : "\(line.decompositions)") ways; the amount is exact)" }
            if line.receivable.isPositive { text += "  (clamped: \(line.receivable.rupiah) stays owed)" }
            try emit(text + mark(line.attribution))
        }
        if preview.adjustmentCount > maxLines { try emit("  … and \(preview.adjustmentCount - maxLines) more adjustments (remedy show --all)") }
        if preview.holdCount > 0 {
            try emit("")
            try emit("Held for a person (\(preview.holdCount), untouched):")
            try eachShown(preview.holds, streamed?.holds) { line in
                let known = line.acknowledged.map { "  (acknowledged by \($0.by): \(shown($0.reason)))" } ?? ""
                try emit("\(line.acknowledged == nil ? "!" : "~") \(pad(line.excess.rupiah, width))  \(pad(shown(label: line.label), labelWidth))  [\(line.reason.rawValue)] \(shown(line.explanation))\(known)\(mark(line.closest))")
            }
            if preview.holdCount > maxLines { try emit("  … and \(preview.holdCount - maxLines) more holds (remedy show --all)") }
        }
        if preview.settledCount > 0 {
            try emit("")
            try emit("Already corrected (no excess left): \(preview.settledCount) user(s)")
        }
        let totals = plan.totals
        try emit("")
        try emit("Totals")
        if plan.kind == .revert {
            try emit("  reverts plan        \(plan.reverts ?? "?")")
            try emit("  to give back        \(totals.toGiveBack.rupiah)  (\(totals.adjustmentCount) users)")
            try emit("  receivables closed  \(totals.owed.unsignedRupiah)")
            return
        }
        try emit("  over-credit found   \(totals.overCreditFound.rupiah)")
        try emit("  to take back        \(totals.toTakeBack.rupiah)  (\(totals.adjustmentCount) users, \(totals.ambiguousCount) ambiguous)")
        if totals.toGiveBack.isPositive { try emit("  to give back        \(totals.toGiveBack.rupiah)  (restored deductions)") }
        try emit("  owed (receivables)  \(totals.owed.rupiah)")
        try emit("  held for review     \(totals.heldExcess.rupiah) excess, \(totals.heldShortfall.rupiah) shortfall  (\(totals.holdCount) users, \(totals.acknowledgedCount) acknowledged)")
        try emit("  would go negative   \(totals.wouldGoNegative.rupiah)")
        try emit("  users examined      \(totals.usersExamined), already corrected \(totals.settledCount)")
    }

    /// The references the lines shown name, when they are not every line (nil: every reference):
    /// only their verdicts are kept for the marks (a summary of a 1M plan shows 400 lines).
    private func shownReferences() throws -> Set<String>? {
        guard preview.adjustmentCount > maxLines || preview.holdCount > maxLines else { return nil }
        var references: Set<String> = []
        try eachShown(preview.adjustments, streamed?.adjustments) { references.formUnion($0.attribution.topUps.map(\.reference)) }
        try eachShown(preview.holds, streamed?.holds) { references.formUnion(($0.closest?.topUps ?? []).map(\.reference)) }
        return references
    }

    /// The first `maxLines` lines of a section: from the stream when there is one, else the preview's.
    private func eachShown<Line>(_ kept: [Line], _ stream: PlanLineStream<Line>?, _ body: (Line) throws -> Void) throws {
        guard let stream else { return try kept.prefix(maxLines).forEach(body) }
        let shown = min(maxLines, stream.count)
        for start in stride(from: 0, to: shown, by: PlanSummary.batchLines) {
            try stream.lines(start..<min(start + PlanSummary.batchLines, shown)).forEach(body)
        }
    }
}
