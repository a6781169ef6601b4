/// The gateway cross-check as `show` prints it above the lines: the counts, every disagreement
/// with its reason, and the top-ups the shop owes (paid at the gateway, never completed). Every
/// string the gateway or the shop chose is escaped for the terminal.
struct GatewaySummary {
    let check: GatewayCheck

    var lines: [String] {
        let references = check.references
        func count(_ verdict: GatewayReferenceCheck.Verdict) -> Int { references.filter { $0.verdict == verdict }.count }
        var out = ["  gateway evidence from \(check.gateway.terminalSafe) for plan \(check.checkedPlan.prefix(16))…: \(count(.confirmed)) top-up(s) confirmed, \(count(.disagrees)) disagree, \(count(.unknown)) unknown to the gateway, \(count(.notChecked)) not checked (paid_at tolerance \(check.paidAtToleranceSeconds) s)"]
        for entry in references where entry.verdict == .disagrees || entry.verdict == .unknown || entry.verdict == .notChecked {
            out.append("    ! \(entry.verdict.rawValue): \((entry.reason ?? entry.reference).terminalSafe)")
        }
        let owed = references.filter { $0.verdict == .owedByShop }
        if !owed.isEmpty {
            out.append("  paid at the gateway but never completed by the shop (the shop owes these users; not corrected by this plan): \(owed.count)")
            for entry in owed {
                out.append("    $ user \(entry.userId.terminalSafe), transaction \(entry.transactionId.terminalSafe): \((entry.reason ?? entry.reference).terminalSafe)\(entry.amountReceived.map { " (received \($0.rupiah))" } ?? "")")
            }
        }
        return out
    }
}
