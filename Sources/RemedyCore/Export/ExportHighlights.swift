import Rupiah

/// What the HTML report shows of the lines when it cannot show them all: the largest corrections
/// and the first lines of each outcome, gathered in the export's first pass (held users are
/// shown in the second, every one of them).
public struct ExportHighlights: Sendable {
    /// Corrections kept, by the size of their planned movement.
    static let largestLines = 50
    /// Lines kept of each outcome other than held.
    static let samplesPerOutcomeLines = 10

    /// Largest |planned delta| first; among equals, plan order.
    public private(set) var largest: [ExportLine] = []
    /// The first lines of each outcome (held excluded), in plan order.
    public private(set) var samples: [ExportLine] = []
    private var sampled = OutcomeCounts()

    mutating func consider(_ line: ExportLine) {
        if line.section == .adjustment {
            let size = line.plannedDelta.absoluteMinorUnits
            if largest.count < Self.largestLines || size > largest[largest.count - 1].plannedDelta.absoluteMinorUnits {
                let at = largest.firstIndex { $0.plannedDelta.absoluteMinorUnits < size } ?? largest.count
                largest.insert(line, at: at)
                if largest.count > Self.largestLines { largest.removeLast() }
            }
        }
        if line.outcome != .held, sampled[line.outcome] < Self.samplesPerOutcomeLines {
            sampled[line.outcome] += 1
            samples.append(line)
        }
    }

    /// The largest corrections, then the samples not already among them: each line once.
    public var lines: [ExportLine] {
        let shown = Set(largest.map(\.userId))
        return largest + samples.filter { !shown.contains($0.userId) }
    }
}

extension Money {
    /// The size of an amount in minor units, whatever its sign (UInt64: Int64.min too).
    var absoluteMinorUnits: UInt64 { minorUnits.magnitude }
}
