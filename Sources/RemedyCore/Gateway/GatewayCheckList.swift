/// A plan's gateway checks wherever its format keeps them: plan.json's `gateway_checks` array,
/// read again a batch at a time from the bytes the reader checked (format v2), or the list a v1
/// plan held in its header. Either way in the list's order (by reference, then transaction id).
public struct GatewayCheckList {
    /// Checks decoded at a time.
    public static let batchChecks = 1_000

    enum Source {
        case inline([GatewayReferenceCheck])
        case streamed(PlanLineStream<GatewayReferenceCheck>)
    }

    let source: Source

    public var count: Int {
        switch source {
        case .inline(let checks): checks.count
        case .streamed(let stream): stream.count
        }
    }

    /// Every check, a batch of at most `batchChecks` at a time.
    public func forEachBatch(_ body: ([GatewayReferenceCheck]) throws -> Void) throws {
        switch source {
        case .inline(let checks):
            for start in stride(from: 0, to: checks.count, by: Self.batchChecks) {
                try body(Array(checks[start..<min(start + Self.batchChecks, checks.count)]))
            }
        case .streamed(let stream):
            try stream.forEachBatch(of: Self.batchChecks, body)
        }
    }

    /// How many checks have each verdict (one pass).
    public func verdictCounts() throws -> [GatewayReferenceCheck.Verdict: Int] {
        var counts: [GatewayReferenceCheck.Verdict: Int] = [:]
        try forEachBatch { batch in for check in batch { counts[check.verdict, default: 0] += 1 } }
        return counts
    }
}
