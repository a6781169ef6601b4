/// Where an apply's wall time went, read from its `--log-format json` events on stderr, as
/// PlanPhases does for plan: reading and checking the plan with the preflight (from the first event
/// to the first batch's outcome: the server has no work meanwhile), the batches (to the last one's
/// outcome), and what is left of the wall time (start-up before the first event; after the last
/// batch, finishing the run, its audit row, and writing and printing the run report).
struct ApplyPhases {
    let checkSeconds: Double
    let batchesSeconds: Double
    let restSeconds: Double

    /// Nil when the log lacks a phase's event (an apply with no lines reports no batch).
    init?(stderrPath: String, wallSeconds: Double) {
        guard let events = jsonLogEvents(stderrPath) else { return nil }
        var started: Double?, firstBatch: Double?, lastBatch: Double?
        for (seconds, event) in events {
            if started == nil { started = seconds }
            if event["step"] as? String == "apply", event["done"] != nil {
                if firstBatch == nil { firstBatch = seconds }
                lastBatch = seconds
            }
        }
        guard let started, let firstBatch, let lastBatch, started <= firstBatch, firstBatch <= lastBatch else { return nil }
        checkSeconds = firstBatch - started
        batchesSeconds = lastBatch - firstBatch
        restSeconds = max(0, wallSeconds - (lastBatch - started))
    }

    var described: String {
        "reading and checking the plan, to the first batch's outcome, \(format(checkSeconds)) s; the batches \(format(batchesSeconds)) s; "
            + "start-up, and after the last batch finishing the run and writing and printing its report, \(format(restSeconds)) s"
    }
}
