/// The gateway cross-check as `show` prints it above the lines: the counts, every disagreement
/// with its reason, and the top-ups the shop owes (paid at the gateway, never completed). Every
/// string the gateway or the shop chose is escaped for the terminal. The checks are read a batch
/// at a time, once for the counts and once for each list, so a plan of any size prints in bounded memory.
struct GatewaySummary {
    let check: GatewayCheck
    let checks: GatewayCheckList

    func write(_ emit: (String) throws -> Void) throws {
        let counts = try checks.verdictCounts()
        func count(_ verdict: GatewayReferenceCheck.Verdict) -> Int { counts[verdict] ?? 0 }
        try emit("  gateway evidence from \(check.gateway.terminalSafe) for plan \(check.checkedPlan.prefix(16))…: \(count(.confirmed)) top-up(s) confirmed, \(count(.disagrees)) disagree, \(count(.unknown)) unknown to the gateway, \(count(.notChecked)) not checked (paid_at tolerance \(check.paidAtToleranceSeconds) s)")
        if count(.disagrees) + count(.unknown) + count(.notChecked) > 0 {
            try checks.forEachBatch { batch in
                for entry in batch where entry.verdict == .disagrees || entry.verdict == .unknown || entry.verdict == .notChecked {
                    try emit("    ! \(entry.verdict.rawValue): \((entry.reason ?? entry.reference).terminalSafe)")
                }
            }
        }
        guard count(.owedByShop) > 0 else { return }
        try emit("  paid at the gateway but never completed by the shop (the shop owes these users; not corrected by this plan): \(count(.owedByShop))")
        try checks.forEachBatch { batch in
            for entry in batch where entry.verdict == .owedByShop {
                try emit("    $ user \(entry.userId.terminalSafe), transaction \(entry.transactionId.terminalSafe): \((entry.reason ?? entry.reference).terminalSafe)\(entry.amountReceived.map { " (received \($0.rupiah))" } ?? "")")
            }
        }
    }
}
