import Foundation
import Postgres
import Rupiah

/// Builds the export of a plan bundle: before apply, the proposal; after, what was done, line by
/// line, from the bundle's run reports and, when a database is given, cross-checked with
/// remedy's book (`remedy.entries`, `remedy.receivables`, `remedy.approvals`, the audit log).
/// Read-only: it writes nothing, not even an audit row.
///
/// Streamed, at any plan size: a first pass over the plan's lines (a batch at a time, each batch
/// looked up in the database) adds up the totals, the charts, the discrepancies and the report's
/// highlights; a second pass makes every line again, in the same snapshot, and hands it on to be
/// written. No line is kept.
public struct ExportBuilder {
    /// Lines decoded from the plan, and looked up in the database, at a time.
    static let batchLines = 1_000

    public let streamed: StreamedPlanBundle
    public var bundle: PlanBundle { streamed.bundle }
    public let connection: PostgresConnection?
    /// Why no database was consulted (printed in the export when `connection` is nil).
    public let offlineReason: String
    /// Set when `connection` is a read replica's (`export --read-url`): the cross-check says so.
    public var readReplica: ReadReplica?

    /// `streamed` must be read with `keepingHoldsAndSettled` (and `gatewayChecks: .verdicts`, for
    /// a checked plan's lines to carry the gateway's marks).
    public init(streamed: StreamedPlanBundle, connection: PostgresConnection?, offlineReason: String = "no database was configured") {
        precondition(streamed.holds != nil && streamed.settled != nil, "an export reads every line: readStreaming(_:keepingHoldsAndSettled: true)")
        precondition(streamed.bundle.plan.gateway == nil || streamed.gatewayVerdicts != nil,
                     "a checked plan's export marks its lines: readStreaming(_:keepingHoldsAndSettled: true, gatewayChecks: .verdicts)")
        self.streamed = streamed
        self.connection = connection
        self.offlineReason = offlineReason
    }

    /// The bundle at `bundle.path`, read again as the export reads it.
    public init(bundle: PlanBundle, connection: PostgresConnection?, offlineReason: String = "no database was configured") throws {
        self.init(streamed: try PlanBundle.readStreaming(bundle.path, keepingHoldsAndSettled: true, gatewayChecks: .verdicts), connection: connection, offlineReason: offlineReason)
    }

    /// The lines of an export, made again each time they are walked (the export's second pass).
    public struct Lines {
        fileprivate let walk: ((ExportLine) throws -> Void) throws -> Void

        public func forEach(_ body: (ExportLine) throws -> Void) throws {
            try walk(body)
        }
    }

    /// The export in two passes in one read-only snapshot: `body` gets the document without its
    /// lines (every total and the cross-check final), the report's highlights, and the lines to
    /// walk. With `redaction`, customer names, contacts and ids are taken out (`ExportRedaction`).
    public func export<Result>(generatedAt: String = Timestamp(date: Date()).description, redaction: RedactionKey? = nil,
                               _ body: (ExportDocument, ExportHighlights, Lines) throws -> Result) throws -> Result {
        guard let connection else {
            return try export(facts: nil, generatedAt: generatedAt, redaction: redaction, body)
        }
        try ExportDatabaseFacts.requireReady(for: bundle, on: connection)
        return try connection.transaction(TransactionOptions(isolation: .repeatableRead, readOnly: true)) {
            try export(facts: try ExportDatabaseFacts.read(for: bundle, on: connection), generatedAt: generatedAt, redaction: redaction, body)
        }
    }

    /// Every line in memory, in one document: for tests and the demo's small shops.
    public func build(generatedAt: String = Timestamp(date: Date()).description, redaction: RedactionKey? = nil) throws -> ExportDocument {
        try export(generatedAt: generatedAt, redaction: redaction) { document, _, lines in
            var whole = document
            try lines.forEach { whole.lines.append($0) }
            return whole
        }
    }

    private func export<Result>(facts: ExportDatabaseFacts?, generatedAt: String, redaction: RedactionKey?,
                                _ body: (ExportDocument, ExportHighlights, Lines) throws -> Result) throws -> Result {
        let plan = bundle.plan
        let runs = BundleRuns.read(bundle)
        // After the facts' snapshot: it shows no WAL beyond this position.
        let replicaPosition = facts == nil ? nil : try readReplica?.position()
        var discrepancies: [ExportDiscrepancy] = runs.rejected.map { ExportDiscrepancy(userId: nil, message: $0) }
        let phase: ExportPhase = runs.reports.isEmpty && (facts?.runs.isEmpty ?? true) ? .proposal : .outcome

        // First pass: totals, charts, discrepancies, highlights.
        var totals = ExportTotals(kind: plan.kind, planTotals: plan.totals, phase: phase)
        var highlights = ExportHighlights()
        var byDay = ExportCharts.ExcessByDay()
        var excesses: [Money] = []
        try eachLine(phase: phase, runs: runs, facts: facts, checkingSignatures: true, discrepancies: &discrepancies) { line, adjustment in
            try totals.add(line, kind: plan.kind)
            highlights.consider(redaction.map { key in var redacted = line; ExportRedaction.redact(&redacted, key: key); return redacted } ?? line)
            if let adjustment {
                try byDay.add(adjustment)
                excesses.append(adjustment.excess)
            }
        }

        var crossCheck = ExportCrossCheck(performed: facts != nil, statement: "", databaseMoved: nil, databaseReceivables: nil,
                                          databaseDiscovered: nil, databaseUsers: nil, agrees: nil, discrepancies: [])
        if let facts {
            if phase == .outcome { compareSums(facts.book, totals: totals, into: &crossCheck, discrepancies: &discrepancies) }
            if !facts.planRecorded {
                discrepancies.append(ExportDiscrepancy(userId: nil, message: "this plan's digest is not recorded in remedy.plans: the bundle was not made on this database, or plan.json was replaced"))
            }
            let reported = Set(runs.reports.map(\.report.runId))
            for run in facts.runs where !reported.contains(run.runId) {
                discrepancies.append(ExportDiscrepancy(userId: nil, message: "run \(run.runId) (started \(run.startedAt) by \(run.operatorName)) has no report in the bundle's runs/: copy runs/\(run.runId).json from the operator's machine; its lines are taken from the database"))
            }
            let inDatabase = Set(facts.runs.map(\.runId))
            for entry in runs.reports where !inDatabase.contains(entry.report.runId) {
                discrepancies.append(ExportDiscrepancy(userId: nil, message: "runs/\(entry.report.runId).json reports a run the database does not record"))
            }
            crossCheck.statement = "Cross-checked with the database \(plan.database.databaseName)\(replicaPosition.map { " on the \($0.description)," } ?? "") (remedy.entries, remedy.receivables, remedy.approvals, remedy.runs, the audit log) at \(generatedAt)."
        } else {
            crossCheck.statement = phase == .proposal
                ? "Exported from the bundle alone (\(offlineReason)): not cross-checked with the database."
                : "Exported from the bundle alone (\(offlineReason)): what was done comes from the run reports in runs/ and was not cross-checked with the database."
        }
        crossCheck.discrepancies = discrepancies
        crossCheck.agrees = facts == nil ? nil : discrepancies.isEmpty

        var document = ExportDocument(
            format: ExportDocument.currentFormat, generatedAt: generatedAt, phase: phase, bundlePath: bundle.path,
            plan: ExportPlanInfo(
                digest: bundle.digest, job: plan.job, kind: plan.kind, jobVersion: plan.jobVersion, specDigest: plan.specDigest,
                parameters: plan.parameters, database: plan.database, snapshotAt: plan.snapshotAt, expiresAt: plan.expiresAt,
                plannerName: plan.planner.name, plannerRole: plan.planner.role, quorum: plan.quorum,
                negativeBalancePolicy: plan.negativeBalancePolicy, reverts: plan.reverts,
                triggerRefires: plan.evidence.triggerRefires, triggerRefiresReason: plan.evidence.triggerRefiresReason,
                warnings: plan.warnings),
            approvals: try approvals(facts),
            runs: exportRuns(runs, facts),
            auditChainHead: chainHead(runs, facts),
            signedAuditHead: runs.reports.last { $0.report.signedAuditHead != nil }?.report.signedAuditHead,
            planTotals: plan.totals, totals: totals, crossCheck: crossCheck,
            excessByDay: byDay.days(parameters: plan.parameters),
            excessDistribution: try ExportCharts.distribution(excesses),
            redacted: false, lines: [])
        excesses = []
        document.gatewayVerdicts = streamed.gatewayVerdicts
        if let redaction { ExportRedaction.redact(&document, key: redaction) }

        // Second pass: the same lines again, handed on as they are made.
        let lines = Lines { handle in
            var ignored: [ExportDiscrepancy] = []
            // The same snapshot: the book's signatures were checked in the first pass.
            try eachLine(phase: phase, runs: runs, facts: facts, checkingSignatures: false, discrepancies: &ignored) { line, _ in
                var line = line
                if let redaction { ExportRedaction.redact(&line, key: redaction) }
                try handle(line)
            }
        }
        return try body(document, highlights, lines)
    }

    /// Every line of the plan in plan order (adjustments, holds, settled), each with its
    /// adjustment when it is one; the database is asked about a batch of adjustments at a time.
    private func eachLine(phase: ExportPhase, runs: BundleRuns, facts: ExportDatabaseFacts?, checkingSignatures: Bool,
                          discrepancies: inout [ExportDiscrepancy], _ body: (ExportLine, AdjustmentLine?) throws -> Void) throws {
        try streamed.adjustments.forEachBatch(of: ExportBuilder.batchLines) { batch in
            let looked = try facts.map { try $0.batch(batch, on: connection!, checkingSignatures: checkingSignatures) }
            for line in batch {
                try body(try adjustment(line, phase: phase, word: runs.word(for: line.userId), facts: facts, batch: looked, discrepancies: &discrepancies), line)
            }
        }
        try streamed.holds!.forEachBatch(of: ExportBuilder.batchLines) { batch in
            for hold in batch { try body(ExportBuilder.held(hold), nil) }
        }
        try streamed.settled!.forEachBatch(of: ExportBuilder.batchLines) { batch in
            for settled in batch { try body(ExportBuilder.settled(settled), nil) }
        }
    }

    // MARK: Lines

    /// A correction's reason, from the classifications its attribution used (a drift job gives back
    /// purchases charged twice; the double-credit job takes back the handler's credits), joined
    /// with `+` where it used both.
    static func why(_ attribution: Decomposition) -> (code: String, text: String) {
        let families = attribution.families
        guard !families.isEmpty else { return ("drift", "the balance differed from the shop's ledger: moved to match it") }
        return (families.map { $0.rawValue.replacingOccurrences(of: "_", with: "-") }.joined(separator: "+"),
                families.map {
                    switch $0 {
                    case .doubleCredit: "double credit: the Tripay callback handler added amount_received on top of the balance trigger"
                    case .purchaseDeduction: "purchase deduction: a purchase was charged to the balance without a ledger row (charged twice, or failed and charged anyway)"
                    }
                }.joined(separator: "; "))
    }

    private func adjustment(_ line: AdjustmentLine, phase: ExportPhase, word: BundleRuns.Word?, facts: ExportDatabaseFacts?,
                            batch: ExportDatabaseFacts.Batch?, discrepancies: inout [ExportDiscrepancy]) throws -> ExportLine {
        let isRevert = bundle.plan.kind == .revert
        let why = isRevert ? (code: "revert", text: "revert of plan \(bundle.plan.reverts ?? "?"): puts back what it took") : Self.why(line.attribution)
        var out = ExportLine(
            userId: line.userId, label: line.label, contact: line.contact, section: .adjustment, outcome: .planned,
            reasonCode: why.code, reason: why.text,
            balance: line.balance, ledger: line.ledger, openReceivables: line.openReceivables, excess: line.excess,
            plannedDelta: line.delta, delta: line.delta, receivable: line.receivable, balanceBefore: nil, balanceAfter: line.balanceAfter,
            currentExcess: nil, evidence: line.attribution.topUps, evidenceText: line.attribution.shortText,
            decompositions: line.decompositions, runId: nil, bookedByPlan: nil, idempotencyKey: line.idempotencyKey)
        let entry = batch?.entries[line.idempotencyKey]
        if let entry, entry.planDigest != bundle.digest {
            // Before or after this plan's runs: apply finds the key booked and moves nothing.
            out.outcome = .alreadyBooked
            out.reasonCode = "already-booked"
            out.reason = "booked by plan \(entry.planDigest.prefix(16))… (run \(entry.runId)), made from the same state: this plan \(phase == .outcome ? "moved" : "will move") nothing for this user"
            out.delta = .zero
            out.receivable = .zero
            out.balanceAfter = nil
            out.runId = entry.runId
            out.bookedByPlan = entry.planDigest
            return out
        }
        guard phase == .outcome else { return out }

        // Nothing moved unless a run booked it.
        out.delta = .zero
        out.receivable = .zero
        out.balanceAfter = nil

        var word = word
        if let batch {
            if let entry {
                try markApplied(&out, line: line, entry: entry, word: word, batch: batch, discrepancies: &discrepancies)
                return out
            }
            if case .applied(_, let runId)? = word {
                discrepancies.append(ExportDiscrepancy(userId: line.userId, message: "the report of run \(runId) says this line was applied, but remedy.entries has no booking for it; the database's book is taken as the truth"))
                word = nil
            }
            if case .alreadyApplied(let runId)? = word {
                discrepancies.append(ExportDiscrepancy(userId: line.userId, message: "run \(runId) found this line already booked, but remedy.entries has no booking for it"))
                word = nil
            }
        }
        switch word {
        case .applied(let applied, let runId)?:
            out.outcome = .applied
            out.delta = applied.delta
            out.receivable = applied.receivable
            out.balanceBefore = applied.balanceBefore
            out.balanceAfter = applied.balanceAfter
            out.runId = runId
        case .alreadyApplied(let runId)?:
            out.outcome = .alreadyBooked
            out.reasonCode = "already-booked"
            out.reason = "run \(runId) found it booked before: by another plan made from the same state, or by a run of this plan whose report is not in the bundle; a database cross-check tells which"
            out.runId = runId
        case .skipped(let skipped, let runId)?:
            skip(&out, reason: skipped.reason, currentExcess: skipped.currentExcess, currentBalance: skipped.currentBalance, runId: runId)
        case nil:
            if let skipped = facts?.skips[line.userId] {
                skip(&out, reason: skipped.reason, currentExcess: skipped.currentExcess, currentBalance: skipped.currentBalance, runId: nil)
            } else {
                out.outcome = .pending
                out.reasonCode = "pending"
                out.reason = "no run booked or skipped this line yet (an interrupted run?): run `remedy apply` again"
            }
        }
        return out
    }

    private func markApplied(_ out: inout ExportLine, line: AdjustmentLine, entry: ExportDatabaseFacts.Entry, word: BundleRuns.Word?,
                             batch: ExportDatabaseFacts.Batch, discrepancies: inout [ExportDiscrepancy]) throws {
        out.outcome = .applied
        out.runId = entry.runId
        out.receivable = line.receivable
        out.balanceBefore = entry.balanceBefore
        out.balanceAfter = entry.balanceAfter
        if let before = entry.balanceBefore, let after = entry.balanceAfter {
            out.delta = try after.subtracting(before)
        } else {
            out.delta = line.delta
        }
        if bundle.plan.kind == .correction, line.receivable.isPositive, batch.receivables[line.idempotencyKey] != line.receivable {
            discrepancies.append(ExportDiscrepancy(userId: line.userId, message: "the plan leaves \(line.receivable.rupiah) owed, but remedy.receivables records \(batch.receivables[line.idempotencyKey]?.rupiah ?? "nothing")"))
        }
        if out.delta != line.delta {
            discrepancies.append(ExportDiscrepancy(userId: line.userId, message: "the book records a movement of \(out.delta.rupiah), the plan approved \(line.delta.rupiah)"))
        }
        switch word {
        case .applied(let applied, let runId)?:
            if runId != entry.runId || applied.balanceBefore != entry.balanceBefore || applied.balanceAfter != entry.balanceAfter {
                discrepancies.append(ExportDiscrepancy(userId: line.userId, message: "run report \(runId) says \(applied.balanceBefore.rupiah) → \(applied.balanceAfter.rupiah), the book (run \(entry.runId)) says \(entry.balanceBefore?.rupiah ?? "?") → \(entry.balanceAfter?.rupiah ?? "?")"))
            }
        case .alreadyApplied?, .skipped?, nil:
            // Booked by this plan, yet no report in the bundle says so: the report of the run that
            // booked it is missing (listed once per run, not per line).
            break
        }
    }

    private func skip(_ out: inout ExportLine, reason: ApplyReport.Skipped.Reason, currentExcess: Money?, currentBalance: Money?, runId: String?) {
        out.outcome = reason == .stale ? .stale : .skipped
        out.reasonCode = reason.rawValue
        out.currentExcess = currentExcess
        out.balanceBefore = currentBalance
        out.runId = runId
        let planned = out.excess.rupiah
        switch reason {
        case .stale:
            out.reason = "stale: the excess was \(planned) at plan time and \(currentExcess?.rupiah ?? "unknown") at apply (changed since, e.g. by hand); make a new plan"
        case .wouldGoNegative:
            out.reason = "skipped: taking back \(out.plannedDelta.unsignedRupiah) would have left the balance (\(currentBalance?.rupiah ?? "unknown")) negative"
        case .missing:
            out.reason = "skipped: the user's row no longer exists"
        case .contended:
            out.reason = "skipped: live traffic held the row past lock_timeout on every retry; run apply again"
        case .residual:
            out.reason = "residual: booked before, but the excess is \(currentExcess?.rupiah ?? "unknown") instead of what that booking left (reverted or moved since); nothing was booked twice; a person looks"
        }
    }

    static func held(_ hold: HeldLine) -> ExportLine {
        let explained = hold.closest.flatMap { $0.total == hold.excess ? $0 : nil }
        return ExportLine(
            userId: hold.userId, label: hold.label, contact: nil, section: .hold, outcome: .held, reasonCode: hold.reason.rawValue,
            reason: hold.explanation, balance: hold.balance, ledger: hold.ledger, openReceivables: hold.openReceivables,
            excess: hold.excess, plannedDelta: .zero, delta: .zero, receivable: .zero, balanceBefore: nil, balanceAfter: nil,
            currentExcess: nil, evidence: explained?.topUps ?? [], evidenceText: explained?.shortText ?? "",
            decompositions: explained == nil ? 0 : 1, runId: nil, bookedByPlan: nil, idempotencyKey: nil)
    }

    static func settled(_ line: SettledLine) -> ExportLine {
        ExportLine(
            userId: line.userId, label: line.label, contact: nil, section: .settled, outcome: .settled, reasonCode: "already-corrected",
            reason: "already corrected before this plan (\(line.note); \(line.candidateTopUps) bug-window top-up(s))",
            balance: nil, ledger: nil, openReceivables: nil, excess: .zero, plannedDelta: .zero, delta: .zero, receivable: .zero,
            balanceBefore: nil, balanceAfter: nil, currentExcess: nil, evidence: [], evidenceText: "", decompositions: 0,
            runId: nil, bookedByPlan: nil, idempotencyKey: nil)
    }

    // MARK: Sign-off, runs, chain head

    private func approvals(_ facts: ExportDatabaseFacts?) throws -> [ExportApproval] {
        var byKey: [String: ExportApproval] = [:]
        var order: [String] = []
        let files = try bundle.approvalFiles()
        for record in files + (facts?.approvals ?? []) {
            let key = record.publicKey.base64
            let inBundle = files.contains { $0.publicKey == record.publicKey && $0.signature == record.signature }
            if var known = byKey[key] {
                known.inBundle = known.inBundle || inBundle
                byKey[key] = known
                continue
            }
            order.append(key)
            byKey[key] = ExportApproval(
                name: record.name, role: record.role, signedAt: record.signedAt, publicKey: key,
                signatureValid: record.isValid(for: bundle), inBundle: inBundle,
                inDatabase: facts.map { $0.approvals.contains { $0.publicKey == record.publicKey } },
                trusted: facts.map { $0.trusted?.trusted(record.publicKey) != nil })
        }
        return order.compactMap { byKey[$0] }
    }

    private func exportRuns(_ runs: BundleRuns, _ facts: ExportDatabaseFacts?) -> [ExportRun] {
        var result: [ExportRun] = runs.reports.map { entry in
            let report = entry.report
            let recorded = facts?.runs.first { $0.runId == report.runId }
            return ExportRun(runId: report.runId, operatorName: report.operatorName, startedAt: report.startedAt ?? recorded?.startedAt,
                             finishedAt: report.finishedAt ?? recorded?.finishedAt, applied: report.counts.applied,
                             alreadyApplied: report.counts.alreadyApplied, skipped: report.counts.skipped, auditHead: report.auditHead,
                             signedAuditHead: report.signedAuditHead, reportInBundle: true, databaseOutcome: recorded?.outcome, inDatabase: facts.map { _ in recorded != nil })
        }
        let reported = Set(result.map(\.runId))
        for run in facts?.runs ?? [] where !reported.contains(run.runId) {
            result.append(ExportRun(runId: run.runId, operatorName: run.operatorName, startedAt: run.startedAt, finishedAt: run.finishedAt,
                                    applied: nil, alreadyApplied: nil, skipped: nil, auditHead: nil, signedAuditHead: nil, reportInBundle: false,
                                    databaseOutcome: run.outcome, inDatabase: true))
        }
        return result.sorted { ($0.startedAt ?? "", $0.runId) < ($1.startedAt ?? "", $1.runId) }
    }

    private func chainHead(_ runs: BundleRuns, _ facts: ExportDatabaseFacts?) -> ExportChainHead? {
        if let facts {
            return ExportChainHead(hash: facts.head.hash, seq: facts.head.seq, source: "database (current head of remedy.audit_log)")
        }
        guard let last = runs.reports.last else { return nil }
        return ExportChainHead(hash: last.report.auditHead, seq: nil, source: "the last run report in the bundle (run \(last.report.runId)); not checked against the database")
    }

    /// The database's sums over this plan's book against the export's totals.
    private func compareSums(_ book: ExportDatabaseFacts.Book, totals: ExportTotals, into check: inout ExportCrossCheck,
                             discrepancies: inout [ExportDiscrepancy]) {
        check.databaseMoved = book.moved
        check.databaseReceivables = book.receivables
        check.databaseDiscovered = book.discovered
        check.databaseUsers = book.users
        let exported = bundle.plan.kind == .revert ? totals.givenBack : totals.takenBack
        if book.moved != exported {
            discrepancies.append(ExportDiscrepancy(userId: nil, message: "the database's book moved \(book.moved.rupiah) under this plan; the export totals \(exported.rupiah)"))
        }
        if bundle.plan.kind == .correction, book.receivables != totals.owed {
            discrepancies.append(ExportDiscrepancy(userId: nil, message: "remedy.receivables holds \(book.receivables.rupiah) for this plan; the export totals \(totals.owed.rupiah) owed"))
        }
        if book.users != totals.counts.applied {
            discrepancies.append(ExportDiscrepancy(userId: nil, message: "the database's book has \(book.users) users booked by this plan; the export counts \(totals.counts.applied) applied lines"))
        }
    }
}
