/// Where a plan's wall time went, read from its `--log-format json` events on stderr: check's
/// probes and the catalog (from the first detect event to the one naming the balance trigger's
/// behaviour), detect until its first 10,000 users came back (the database's work before the first
/// row), the rest of the stream with every line decided, and what is left of the wall time
/// (start-up before the first event, writing and signing the bundle after the last).
struct PlanPhases {
    let probesSeconds: Double
    let firstRowsSeconds: Double
    let streamSeconds: Double
    let restSeconds: Double

    /// Nil when the log lacks a phase's event (a plan of fewer than 10,000 users reports no rows
    /// examined before its totals).
    init?(stderrPath: String, wallSeconds: Double) {
        guard let events = jsonLogEvents(stderrPath) else { return nil }
        var started: Double?, probed: Double?, firstRows: Double?, decided: Double?
        for (seconds, event) in events {
            let step = event["step"] as? String
            if started == nil, step == "detect" { started = seconds }
            if probed == nil, event["trigger_refires"] != nil { probed = seconds }
            if firstRows == nil, step == "detect", event["done"] != nil { firstRows = seconds }
            if step == "plan", event["adjustments"] != nil { decided = seconds }
        }
        guard let started, let probed, let firstRows, let decided, started <= probed, probed <= firstRows, firstRows <= decided else { return nil }
        probesSeconds = probed - started
        firstRowsSeconds = firstRows - probed
        streamSeconds = decided - firstRows
        restSeconds = max(0, wallSeconds - (decided - started))
    }

    var described: String {
        "check's probes and the catalog \(format(probesSeconds)) s; detect to its first 10,000 users \(format(firstRowsSeconds)) s; "
            + "the rest of the stream, every line decided, \(format(streamSeconds)) s; start-up and writing the bundle \(format(restSeconds)) s"
    }
}
