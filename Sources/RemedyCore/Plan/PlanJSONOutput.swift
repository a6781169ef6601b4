import Foundation

/// `remedy show --json`: the whole plan as `OutputJSON` prints it, written a batch of lines at a
/// time (SplicedJSONWriter): the header is encoded with its line sections (and a v2 plan's
/// gateway checks) empty, and each section's lines are spliced into its place.
public enum PlanJSONOutput {
    /// Lines encoded at a time.
    public static let batchLines = 1_000

    /// Every line of one section, a batch at a time, in plan order.
    public typealias Batches<Line> = (_ batchLines: Int, _ body: ([Line]) throws -> Void) throws -> Void

    public static func write(header: Plan, adjustments: Batches<AdjustmentLine>, holds: Batches<HeldLine>,
                             settled: Batches<SettledLine>, gatewayChecks: Batches<GatewayReferenceCheck>? = nil,
                             batchLines: Int = PlanJSONOutput.batchLines, to write: @escaping (String) throws -> Void) throws {
        precondition(batchLines > 0)
        var skeleton = header
        skeleton.adjustments = []
        skeleton.holds = []
        skeleton.settled = []
        if skeleton.gatewayChecks != nil { skeleton.gatewayChecks = [] }
        var out = try SplicedJSONWriter(skeleton: skeleton, write: write)
        func array<Line: Encodable & CanonicalJSONWritable>(_ key: String, _ batches: Batches<Line>) throws {
            try out.open(key)
            try batches(batchLines) { try out.append($0) }
            try out.close()
        }
        try array("adjustments", adjustments)
        // Keys are sorted: "gateway_checks" comes between "adjustments" and "holds".
        if header.gatewayChecks != nil { try array("gateway_checks", gatewayChecks ?? { _, _ in }) }
        try array("holds", holds)
        try array("settled", settled)
        try out.finish()
    }
}

extension StreamedPlanBundle {
    /// The whole plan as `show --json` prints it, a batch of lines at a time. Needs the holds and
    /// settled lines, and a checked v2 plan's gateway checks
    /// (`readStreaming(_:keepingHoldsAndSettled: true, gatewayChecks: .all)`).
    public func writeJSON(batchLines: Int = PlanJSONOutput.batchLines, to write: @escaping (String) throws -> Void) throws {
        guard let holds, let settled else {
            throw RemedyError(.invariant, "printing a plan's JSON needs its holds and settled lines; read it keeping them")
        }
        let checks: PlanJSONOutput.Batches<GatewayReferenceCheck>?
        if bundle.plan.gatewayChecks == nil || bundle.plan.gateway == nil {
            checks = nil
        } else if let gatewayChecks {
            checks = { _, body in try gatewayChecks.forEachBatch(body) }
        } else {
            throw RemedyError(.invariant, "printing a checked plan's JSON needs its gateway checks; read it keeping them")
        }
        try PlanJSONOutput.write(header: bundle.plan, adjustments: adjustments.forEachBatch, holds: holds.forEachBatch,
                                 settled: settled.forEachBatch, gatewayChecks: checks, batchLines: batchLines, to: write)
    }
}
