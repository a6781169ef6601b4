import Foundation

/// One size's figures as Markdown tables, ready to paste into BENCHMARKS.md: what was measured,
/// then each target of issue 13 with its ratio and verdict.
extension Figures {
    static let rssTargetMegabytes = 150.0
    static let latencyTargetMilliseconds = 50.0
    static let htmlTargetMegabytes = 5.0

    func report() -> [String] {
        var lines = ["### \(userCount) users, \(transactionCount) transactions (template \(template), copied in \(format(copySeconds, digits: 1)) s)", ""]
        lines += measures()
        lines.append("")
        lines += targets()
        lines.append("")
        lines.append("PostgreSQL \(serverVersion): \(settings.joined(separator: " ")). Load average at start \(loadAverageAtStart), at end \(loadAverageAtEnd).")
        if let durable { lines.append("Durable step: \(durable.settings.joined(separator: " ")).") }
        return lines
    }

    private func measures() -> [String] {
        var rows = ["| measure | figure |", "|---|---|"]
        if let loadSeconds { rows.append("| load (simulator, seed \(RemedyBenchmark.seed)) | \(format(loadSeconds, digits: 1)) s |") }
        if let ledgerIndexSeconds {
            rows.append("| the index remedy check advises for the recheck, built CONCURRENTLY on the copy, then VACUUM (`--ledger-index`: every figure below is of the shop with it) | \(format(ledgerIndexSeconds)) s |")
        }
        rows.append("| seed 000 reconciliation, server's settings (best of \(seedQuery.runs.count)) | \(format(seedQuery.best)) s, \(seedQuery.rows) rows (runs: \(seedQuery.described)) |")
        rows.append("| ledger floor: completed rows summed by user, work_mem 256MB (best of \(ledgerFloor.runs.count)) | \(format(ledgerFloor.best)) s, \(ledgerFloor.rows) rows (runs: \(ledgerFloor.described)) |")
        rows.append("| the same sums made in the client: every completed row streamed to it in single-row mode and summed by user (best of \(clientLedger.runs.count)) | \(format(clientLedger.best)) s, \(clientLedger.rows) users (runs: \(clientLedger.described)); \(format(clientLedgerMegabytes, digits: 1)) MB resident while the sums are held |")
        if let fold = onePassFold {
            rows.append("| one pass for a detect that reads the table once: every transaction's 10 columns by binary COPY, folded in the client as they come (ledgers by user in an open-addressed table, the window's top-ups and purchases kept in chunked lists, check's groups; best of \(onePass.runs.count)) | \(format(onePass.best)) s, \(onePass.rows) rows (runs: \(onePass.described)); \(fold.ledgers.count) users, \(fold.candidates.count) window top-ups, \(fold.windowPurchases.count) window purchases, \(fold.groups.count) groups; the fold's structures hold \(format(megabytes(fold.heldBytes), digits: 1)) MB at the end, \(format(megabytes(fold.peakBytes), digits: 1)) MB at most |")
        }
        rows.append("| count(*) over transactions (best of \(countScan.runs.count)) | \(format(countScan.best)) s (runs: \(countScan.described)) |")
        rows.append("| remedy plan tripay-double-credit (best of \(planRuns.count)) | \(format(plan?.seconds ?? 0)) s (runs: \(planRuns.map { format($0.seconds) }.joined(separator: ", "))), peak RSS \(format(planPeakMegabytes, digits: 1)) MB; \(planTotals.usersExamined) users examined, \(planTotals.adjustmentCount) corrections, \(planTotals.holdCount) holds, \(planTotals.settledCount) settled; plan.json \(format(megabytes(planBytes), digits: 1)) MB |")
        if let plan { rows.append("| the fastest plan's CPU, and the whole machine's while it ran | \(plan.cpuDescribed) |") }
        if let planPhases { rows.append("| the fastest plan's phases, from its JSON log | \(planPhases.described) |") }
        rows += applyMeasures(applied, label: "")
        if let durable { rows += applyMeasures(durable, label: ", durable") }
        for command in commands {
            let written = command.bytes.map { ", \(format(megabytes($0), digits: 1)) MB written" } ?? ""
            let exit = command.run.exitStatus == 0 ? "" : " **exit \(command.run.exitStatus)**"
            rows.append("| remedy \(command.name) | \(format(command.run.seconds)) s, peak RSS \(format(command.run.peakRSSMegabytes, digits: 1)) MB\(written)\(exit) |")
        }
        if let browser {
            rows.append("| HTML report in headless Chromium (--dump-dom) | \(format(megabytes(browser.bytes), digits: 1)) MB rendered in \(format(browser.run.seconds)) s, Chromium peak RSS \(format(browser.run.peakRSSMegabytes, digits: 0)) MB\(browser.rendered ? "" : browser.run.exitStatus == 124 ? " **not rendered within \(HeadlessBrowser.timeoutSeconds) s**" : " **did not render**") |")
        }
        return rows
    }

    private func applyMeasures(_ figures: ApplyFigures, label: String) -> [String] {
        let committed = label.isEmpty ? "rolled back, best of \(figures.bareUpdate.runs.count)" : "committed, after apply"
        var rows = [
            "| bare set-based UPDATE of the plan's balances\(label) (\(committed)) | \(format(figures.bareUpdate.best)) s for \(figures.bareUpdate.rows) balances |",
            "| book floor: those balances and every row apply wrote, set-based, one transaction\(label) (\(committed)) | \(format(figures.bookFloor.best)) s for \(figures.bookFloor.rows) rows |",
            "| remedy apply\(label) | \(format(figures.apply?.seconds ?? 0)) s, peak RSS \(format(figures.apply?.peakRSSMegabytes ?? 0, digits: 1)) MB; \(figures.outcome) |",
        ]
        if let apply = figures.apply {
            // The machine's busy time that is not remedy's is the server's (and the live top-ups').
            rows.append("| apply's CPU\(label), and the whole machine's while it ran | \(apply.cpuDescribed) |")
            if let phases = ApplyPhases(stderrPath: apply.stderrPath, wallSeconds: apply.seconds) {
                rows.append("| apply's phases\(label), from its JSON log | \(phases.described) |")
            }
        }
        if let statements = figures.serverStatements {
            rows.append("| apply's server time by statement\(label), planning and execution (lock waits included), from pg_stat_statements | \(statements.described) |")
        }
        if let batches = figures.batches {
            rows.append("| apply's batch transactions\(label), server side (\(batches.span)) | \(batches.count) batches of ≤ \(batches.largest) users: p50 \(format(batches.p50, digits: 1)) ms, p99 \(format(batches.p99, digits: 1)) ms, max \(format(batches.max, digits: 1)) ms |")
        }
        rows.append("| live top-ups before apply\(label) (idle, 3 s) | \(describe(figures.topupsIdle)) |")
        rows.append("| live top-ups during apply\(label), corrected users at random | \(describe(figures.topupsDuringApply)) |")
        rows.append("| live top-ups during apply\(label), aimed at the batch being applied | \(describe(figures.topupsAimed)) |")
        return rows
    }

    private func targets() -> [String] {
        let planSeconds = plan?.seconds ?? 0
        let applySeconds = applied.apply?.seconds ?? 0
        var rows = ["| target | measured | limit | verdict |", "|---|---|---|---|"]
        rows.append(ratioRow("plan / ledger floor", planSeconds, ledgerFloor.best, limit: 1.5))
        rows.append(ratioRow("plan / seed 000 query", planSeconds, seedQuery.best, limit: 0.5))
        rows.append(ratioRow("apply / bare UPDATE", applySeconds, applied.bareUpdate.best, limit: 8))
        rows.append(ratioRow("apply / book floor (the cause, no limit)", applySeconds, applied.bookFloor.best, limit: nil))
        if let durable, let apply = durable.apply {
            rows.append(ratioRow("durable apply / durable bare UPDATE", apply.seconds, durable.bareUpdate.best, limit: 8))
            rows.append(ratioRow("durable apply / durable book floor (no limit)", apply.seconds, durable.bookFloor.best, limit: nil))
            rows.append(ratioRow("durable apply / apply (what durability costs, no limit)", apply.seconds, applySeconds, limit: nil))
            rows.append(limitRow("durable: live top-up p99 during apply, aimed at the batch", durable.topupsAimed?.p99 ?? .infinity, limit: Self.latencyTargetMilliseconds, unit: "ms"))
        }
        rows.append(limitRow("apply's batch transactions p99", applied.batches?.p99 ?? .infinity, limit: Self.latencyTargetMilliseconds, unit: "ms"))
        if let p99 = durable?.batches?.p99 { rows.append(limitRow("durable apply's batch transactions p99", p99, limit: Self.latencyTargetMilliseconds, unit: "ms")) }
        rows.append(limitRow("live top-up p99 during apply, aimed at the batch", applied.topupsAimed?.p99 ?? .infinity, limit: Self.latencyTargetMilliseconds, unit: "ms"))
        rows.append(limitRow("live top-up p99 during apply, at random", applied.topupsDuringApply?.p99 ?? .infinity, limit: Self.latencyTargetMilliseconds, unit: "ms"))
        rows.append(limitRow("plan peak RSS", planPeakMegabytes, limit: Self.rssTargetMegabytes, unit: "MB"))
        rows.append(limitRow("apply peak RSS", applied.apply?.peakRSSMegabytes ?? 0, limit: Self.rssTargetMegabytes, unit: "MB"))
        for command in commands {
            let row = limitRow("\(command.name) peak RSS", command.run.peakRSSMegabytes, limit: Self.rssTargetMegabytes, unit: "MB")
            rows.append(command.run.exitStatus == 0 ? row : row.replacingOccurrences(of: #"\| [^|]* \|$"#, with: "| FAILED (exit \(command.run.exitStatus)) |", options: .regularExpression))
        }
        if let browser {
            rows.append(limitRow("HTML report size (\"a few MB\")", megabytes(browser.bytes), limit: Self.htmlTargetMegabytes, unit: "MB"))
            rows.append("| HTML report opens in headless Chromium | \(browser.rendered ? "rendered in \(format(browser.run.seconds)) s" : "not rendered (exit \(browser.run.exitStatus))") | renders | \(browser.rendered ? "met" : "**missed**") |")
        }
        return rows
    }

    private func describe(_ summary: LatencySummary?) -> String {
        guard let summary else { return "no samples" }
        return "\(summary.count) inserts: p50 \(format(summary.p50, digits: 2)) ms, p99 \(format(summary.p99, digits: 2)) ms, max \(format(summary.max, digits: 2)) ms"
    }

    private func ratioRow(_ name: String, _ value: Double, _ base: Double, limit: Double?) -> String {
        let limitText = limit.map { "≤ \(format($0, digits: 1))×" } ?? "–"
        guard base > 0, value > 0 else { return "| \(name) | (not measured) | \(limitText) | – |" }
        let ratio = value / base
        let measured = "\(format(ratio, digits: 2))× (\(format(value)) s / \(format(base)) s)"
        guard let limit else { return "| \(name) | \(measured) | – | – |" }
        let verdict = ratio <= limit ? "met" : "**missed** by \(format(ratio / limit, digits: 2))× (\(format(value - limit * base, digits: 2)) s over)"
        return "| \(name) | \(measured) | \(limitText) | \(verdict) |"
    }

    private func limitRow(_ name: String, _ value: Double, limit: Double, unit: String) -> String {
        guard value.isFinite else { return "| \(name) | (no samples) | ≤ \(format(limit, digits: 0)) \(unit) | – |" }
        let verdict = value <= limit ? "met" : "**missed** by \(format(value - limit, digits: 1)) \(unit) (\(format(value / limit, digits: 2))×)"
        return "| \(name) | \(format(value, digits: 1)) \(unit) | ≤ \(format(limit, digits: 0)) \(unit) | \(verdict) |"
    }
}
