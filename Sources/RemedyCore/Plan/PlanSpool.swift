import Foundation

/// A plan's lines on their way to plan.json, without being held: each line is written, in its
/// canonical JSON, to one of four temporary files (adjustments, holds, settled, gateway checks)
/// as detect (or remedy evidence) decides it; the bundle's plan.json is then assembled from them (PlanDocumentWriter). Only the
/// summary's first lines are kept in memory. The files are unlinked once open, as apply's report
/// spools are: the lines name customers, and a plan killed part way leaves none of them behind.
public final class PlanSpool {
    public private(set) var preview: PlanPreview
    private var sections: [String: SpoolFile]
    private var isDiscarded = false

    init(directory: String, job: String, previewLines: Int) throws {
        preview = PlanPreview(maxLines: previewLines)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let stem = "\(directory)/.\(job)-\(UUID().uuidString.lowercased())"
        var sections: [String: SpoolFile] = [:]
        do {
            for key in PlanDocumentWriter.streamedKeys {
                sections[key] = try SpoolFile(path: "\(stem).\(key).spool", anonymous: true)
            }
        } catch {
            sections.values.forEach { $0.remove() }
            throw error
        }
        self.sections = sections
    }

    deinit {
        discard()
    }

    /// A decided line, in its canonical JSON (encoded where it was decided, or here).
    func add(_ line: DecidedLine) throws {
        let section: String
        switch line.decision {
        case .adjust(let adjustment):
            preview.add(adjustment)
            section = "adjustments"
        case .hold(let hold):
            preview.add(hold)
            section = "holds"
        case .settled(let settled):
            preview.add(settled)
            section = "settled"
        case .none:
            return
        }
        try sections[section]!.append(line.canonicalJSON ?? line.decision.canonicalJSON!)
    }

    /// A line decided before (remedy evidence copies a checked plan's lines, some moved to held).
    func add(_ line: AdjustmentLine) throws {
        preview.add(line)
        try sections["adjustments"]!.append(CanonicalJSONWriter.encodeBytes(line))
    }

    func add(_ line: HeldLine) throws {
        preview.add(line)
        try sections["holds"]!.append(CanonicalJSONWriter.encodeBytes(line))
    }

    func add(_ line: SettledLine) throws {
        preview.add(line)
        try sections["settled"]!.append(CanonicalJSONWriter.encodeBytes(line))
    }

    func add(_ check: GatewayReferenceCheck) throws {
        try sections["gateway_checks"]!.append(CanonicalJSONWriter.encodeBytes(check))
    }

    /// Everything written is on disk.
    func finish() throws {
        for section in sections.values { try section.flush() }
    }

    /// Hands a section's elements (already comma-separated) to `emit` in pieces.
    func emit(_ key: String, _ emit: (Data) throws -> Void) throws {
        try sections[key]!.replay(emit)
    }

    /// Removes the temporary files. Safe to call more than once.
    public func discard() {
        guard !isDiscarded else { return }
        isDiscarded = true
        sections.values.forEach { $0.remove() }
    }
}

/// A plan decided and spooled to disk, not yet written as a bundle: its header (the plan without
/// its lines, totals included) and the spool.
public struct SpooledPlan {
    public let header: Plan
    public let spool: PlanSpool

    /// Drops the spool (a plan that will not be written).
    public func discard() {
        spool.discard()
    }
}

/// A spooled plan written as a bundle and recorded.
public struct WrittenPlan {
    public let path: String
    public let digest: String
    /// The plan without its lines (they are in plan.json).
    public let header: Plan
    public let preview: PlanPreview
}

/// What the summary shows of a plan's lines: the first few of each section, the section sizes and
/// the column widths over every line. Built line by line, so a spooled plan has one too.
public struct PlanPreview: Sendable {
    public let maxLines: Int
    public private(set) var adjustments: [AdjustmentLine] = []
    public private(set) var holds: [HeldLine] = []
    public private(set) var adjustmentCount = 0
    public private(set) var holdCount = 0
    public private(set) var settledCount = 0
    /// The widest amount shown (adjustments' deltas, holds' excesses) and the longest label, over all lines.
    public private(set) var widestAmount: Int?
    public private(set) var longestLabel: Int?

    /// Lines kept in `adjustments` and `holds` (at most `maxLines`).
    private var keptLines: Int

    public init(maxLines: Int) {
        self.maxLines = maxLines
        self.keptLines = maxLines
    }

    /// Keeps at most `lines` lines, while still counting and measuring every one (for a summary
    /// that reads the lines it shows again from a streamed bundle).
    mutating func limitKept(to lines: Int) {
        keptLines = min(keptLines, lines)
    }

    /// The preview of a plan held whole.
    public init(plan: Plan, maxLines: Int) {
        self.maxLines = maxLines
        self.keptLines = maxLines
        plan.adjustments.forEach { add($0) }
        plan.holds.forEach { add($0) }
        plan.settled.forEach { add($0) }
    }

    mutating func add(_ line: AdjustmentLine) {
        adjustmentCount += 1
        if adjustments.count < keptLines { adjustments.append(line) }
        widestAmount = max(widestAmount ?? 0, line.delta.rupiah.count)
        longestLabel = max(longestLabel ?? 0, line.label.count)
    }

    mutating func add(_ line: HeldLine) {
        holdCount += 1
        if holds.count < keptLines { holds.append(line) }
        widestAmount = max(widestAmount ?? 0, line.excess.rupiah.count)
        longestLabel = max(longestLabel ?? 0, line.label.count)
    }

    mutating func add(_ line: SettledLine) {
        settledCount += 1
    }
}
