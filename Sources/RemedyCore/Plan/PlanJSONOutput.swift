import Foundation

/// `remedy show --json`: the whole plan as `OutputJSON` prints it, written a batch of lines at a
/// time, so a plan of any size prints in bounded memory. The bytes are those of encoding the whole
/// plan at once (PlanJSONOutputTests holds it to that): the header is encoded with its line
/// sections (and a v2 plan's gateway checks) empty, and each section's lines are spliced into its place.
public enum PlanJSONOutput {
    /// Lines encoded at a time.
    public static let batchLines = 1_000

    /// Every line of one section, a batch at a time, in plan order.
    public typealias Batches<Line> = (_ batchLines: Int, _ body: ([Line]) throws -> Void) throws -> Void

    public static func write(header: Plan, adjustments: Batches<AdjustmentLine>, holds: Batches<HeldLine>,
                             settled: Batches<SettledLine>, gatewayChecks: Batches<GatewayReferenceCheck>? = nil,
                             batchLines: Int = PlanJSONOutput.batchLines, to write: @escaping (String) throws -> Void) throws {
        precondition(batchLines > 0)
        let encoder = OutputJSON.makeEncoder()
        var skeleton = header
        skeleton.adjustments = []
        skeleton.holds = []
        skeleton.settled = []
        if skeleton.gatewayChecks != nil { skeleton.gatewayChecks = [] }
        var rest = Substring(String(decoding: try encoder.encode(skeleton), as: UTF8.self))
        // Keys are sorted, so the sections come in this order; a string value never holds a raw
        // line break, so each empty section's text at the top level's indentation occurs once.
        func section<Line: Encodable>(_ key: String, _ batches: Batches<Line>) throws {
            let opening = "\n  \"\(key)\" : ["
            let empty = opening + "\n\n  ]"
            guard let place = rest.range(of: empty), rest[place.upperBound...].range(of: empty) == nil else {
                throw RemedyError(.invariant, "the plan's JSON has no single empty \(key) section to print its lines into")
            }
            try write(String(rest[..<place.lowerBound]) + opening)
            var written = false
            try batches(batchLines) { lines in
                guard !lines.isEmpty else { return }
                try write((written ? ",\n" : "\n") + (try elements(of: lines, encoder)))
                written = true
            }
            try write(written ? "\n  ]" : "\n\n  ]")
            rest = rest[place.upperBound...]
        }
        try section("adjustments", adjustments)
        // Keys are sorted: "gateway_checks" comes between "adjustments" and "holds".
        if header.gatewayChecks != nil { try section("gateway_checks", gatewayChecks ?? { _, _ in }) }
        try section("holds", holds)
        try section("settled", settled)
        try write(String(rest))
    }

    /// A batch as elements of the section's array: encoded as a top-level array, its brackets
    /// taken off and every line indented one level more (a blank line, inside an empty array,
    /// stays blank, as the encoder writes it).
    private static func elements<Line: Encodable>(of lines: [Line], _ encoder: JSONEncoder) throws -> String {
        let array = try encoder.encode(lines)
        let open = Array("[\n".utf8), close = Array("\n]".utf8)
        guard array.starts(with: open), array.suffix(close.count).elementsEqual(close) else {
            throw RemedyError(.invariant, "a batch of plan lines did not encode as a JSON array")
        }
        var out: [UInt8] = []
        out.reserveCapacity(array.count + array.count / 8)
        var lineStart = true
        for byte in array.dropFirst(open.count).dropLast(close.count) {
            if lineStart, byte != 0x0A { out += [0x20, 0x20] }
            out.append(byte)
            lineStart = byte == 0x0A
        }
        return String(decoding: out, as: UTF8.self)
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
