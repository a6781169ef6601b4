import Crypto
import Foundation
import Logging
import Postgres
import Rupiah

/// `remedy evidence PLAN`: asks the payment gateway about every top-up a correction or a hold of
/// the plan names (and the window's top-ups the shop never completed), compares its record with
/// the shop's, and writes a NEW plan: the same snapshot and lines, except that a correction whose
/// top-up the gateway contradicts or does not know is held, its reason naming the field and both
/// values. The answers go into the new bundle (`evidence/`), listed with their SHA-256 in plan.json;
/// the new digest is signed by the planner and recorded like any plan, so approvals of the old
/// plan do not carry over.
///
/// Resumable: each answer is kept as it arrives (in the checked bundle's `.gateway-responses/`),
/// and answers already there, or already in the checked bundle's own `evidence/`, are not asked
/// for again. Reads the shop only (one READ ONLY transaction); writes nothing to the database but
/// the new plan's record.
public struct GatewayEvidenceRun {
    public static let stagingDirectory = ".gateway-responses"

    public let spec: JobSpec
    public let plannerKey: SigningKey
    public let connection: PostgresConnection
    /// Where the API key is read (the process's environment).
    public let environment: [String: String]
    public let logger: Logger

    public init(spec: JobSpec, plannerKey: SigningKey, connection: PostgresConnection,
                environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger = .silent) {
        self.spec = spec
        self.plannerKey = plannerKey
        self.connection = connection
        self.environment = environment
        self.logger = logger
    }

    public struct Outcome {
        /// The new plan, written and recorded (its lines are in plan.json).
        public let written: WrittenPlan
        public let checkedPlan: String
        /// Answers asked of the gateway in this run (not counting retries) and reused from earlier.
        public let fetched: Int
        public let reused: Int
        /// HTTP requests sent, retries included.
        public let requests: Int
        /// Corrections moved to held.
        public let moved: Int
        /// How many checks have each verdict.
        public let verdicts: [GatewayReferenceCheck.Verdict: Int]
    }

    /// The spec's gateway and the API key, or the one line saying which is missing: checked before
    /// `plan --gateway-evidence` does any work.
    public static func requireReady(spec: JobSpec, environment: [String: String]) throws -> (GatewaySettings, String) {
        guard let settings = spec.gateway else {
            throw RemedyError(.badSpec, "job \(spec.name) has no gateway: section; add one to \(spec.directory)/job.yaml (kind, base_url, api_key_env: see jobs/README.md)")
        }
        guard let apiKey = environment[settings.apiKeyEnvironment], !apiKey.isEmpty else {
            throw RemedyError(.badInput, "$\(settings.apiKeyEnvironment) is empty: export the gateway's API key in it (the spec's gateway.api_key_env); never put it on the command line")
        }
        return (settings, apiKey)
    }

    /// Lines read from the checked plan at a time.
    static let batchLines = 1_000

    /// `source`: the plan to check, as `PlanBundle.readStreaming(_:keepingHoldsAndSettled: true)`
    /// read it (the caller has, to find its job).
    ///
    /// In bounded memory at any plan size, in steps over temporary files beside the new bundle:
    /// the shop's side of every top-up, read in one snapshot (`shopTopUps`); the answers not yet in
    /// hand, asked for; each top-up compared with its answer, the answer linked (or written) into
    /// the new bundle's `evidence/` and the check handed to a sorter; then the new plan's lines,
    /// the corrections the gateway contradicts moved to held, and the checks in their order.
    public func run(source: StreamedPlanBundle, outDirectory: String?, defaultParent: String) throws -> Outcome {
        let plan = source.bundle.plan
        let (settings, apiKey) = try Self.requireReady(spec: spec, environment: environment)
        guard plan.kind == .correction, plan.standingPolicy == nil else {
            throw RemedyError(.notApplicable, "remedy evidence checks the top-ups of a correction plan; this plan is a \(plan.kind.rawValue)\(plan.standingPolicy == nil ? "" : " of a standing policy")")
        }
        guard plan.job == spec.name, plan.specDigest == spec.digest else {
            throw RemedyError(.badInput, "this plan was made with job \(plan.job)'s spec digest \(plan.specDigest.prefix(16))…, the spec on disk is \(spec.name) \(spec.digest.prefix(16))…; use the job spec the plan was made with, or make a new plan")
        }
        guard let holds = source.holds, let settled = source.settled else {
            throw RemedyError(.invariant, "remedy evidence copies every line of the plan; read it keeping its holds and settled lines")
        }
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        let planner = try store.requireTrusted(plannerKey, as: "planner")
        let identity = try store.identity()
        guard identity == plan.database else {
            throw RemedyError(.wrongDatabase, "this plan was made on \(plan.database), but this is \(identity); connect to the plan's database")
        }

        // Before asking anyone anything: a bundle is never overwritten.
        try PlanBundle.requireNew(outDirectory)
        let parent = PlanBundle.temporaryParent(for: outDirectory, defaultParent: defaultParent)
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let stem = "\(parent)/.\(spec.name)-\(UUID().uuidString.lowercased())"
        let shop = try RecordFile(path: "\(stem).topups")
        defer { shop.remove() }
        do {
            try shopTopUps(source: source, holds: holds, into: shop)
        } catch {
            throw ReadSnapshot.explainingTimeout(error, spec: spec, step: "reading the plan's top-ups from the shop")
        }

        let answers = Answers(staging: "\(source.bundle.path)/\(Self.stagingDirectory)", source: source.bundle)
        let client = GatewayClient(settings: settings, apiKey: apiKey)
        let (fetched, reused) = try fetchMissing(shop: shop, answers: answers, client: client, settings: settings)

        // Each top-up compared with its answer; the answer goes into the new bundle's evidence/.
        let evidence = "\(stem).evidence"
        defer { try? FlatDirectory.remove(evidence) }
        let sorter = GatewayCheckSorter(directory: parent, stem: spec.name)
        defer { sorter.remove() }
        let disagreements = try RecordFile(path: "\(stem).disagreements")
        defer { disagreements.remove() }
        var lateFetches = 0
        var evidenceCreated = false
        /// An answer's file in the new bundle's evidence/, written once (top-ups sharing a
        /// reference share its answer, byte for byte): a kept answer is linked, not copied
        /// (838,008 files, 3.7 GB at 1M); anything else, or across file systems, is written.
        func keep(_ stored: Answers.Stored, as name: String) throws {
            if !evidenceCreated {
                try FileManager.default.createDirectory(atPath: evidence, withIntermediateDirectories: true)
                evidenceCreated = true
            }
            let path = "\(evidence)/\(name)"
            guard !FileManager.default.fileExists(atPath: path) else { return }
            if let staged = stored.stagedPath, link(staged, path) == 0 { return }
            try stored.bytes.write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
        }
        do {
            let heartbeat = saying("comparing \(shop.count) top-up(s) with the gateway's answers")
            defer { heartbeat.stop() }
            let comparison = GatewayComparison(settings: settings)
            try shop.forEach { fields in
                let (top, fromAdjustment) = ShopTopUp.decode(fields)
                guard GatewayResponseRecord.isSafeReference(top.reference) else {
                    try sorter.add(GatewayReferenceCheck(reference: top.reference, userId: top.userId, transactionId: top.transactionId, shopStatus: top.status,
                                                         verdict: .notChecked, reason: "the reference is not one a gateway issues (letters, digits, - and _ only); not asked", amountReceived: nil, sha256: nil),
                                   named: top.named)
                    return
                }
                var stored = answers.answer(for: top.reference)
                if stored == nil {
                    // An answer counted as in hand that does not read as one (a staged file cut short): asked again.
                    try fetch(top.reference, client: client, answers: answers)
                    lateFetches += 1
                    stored = answers.answer(for: top.reference)
                }
                guard let stored else {
                    throw RemedyError(.io, "the gateway's answer for \(top.reference) was kept in \(answers.staging) and no longer reads as remedy wrote it; stop whatever writes there and run the same command again")
                }
                // The bytes read are the canonical encoding (decodeStored checked it): they are what the plan lists.
                let sha256 = SHA256.hash(data: stored.bytes).hexString
                try keep(stored, as: GatewayResponseRecord.fileName(top.reference))
                let (verdict, reason, received) = comparison.verdict(for: top, response: stored.record)
                try sorter.add(GatewayReferenceCheck(reference: top.reference, userId: top.userId, transactionId: top.transactionId, shopStatus: top.status,
                                                     verdict: verdict, reason: reason, amountReceived: verdict == .owedByShop ? received : nil, sha256: sha256),
                               named: top.named)
                if fromAdjustment, verdict == .disagrees || verdict == .unknown, let reason {
                    try disagreements.append([top.userId, reason])
                }
            }
        }

        // The new plan: the same snapshot and lines, a correction the gateway contradicts held.
        let heartbeat = saying("writing the new plan")
        defer { heartbeat.stop() }
        let spool = try PlanSpool(directory: parent, job: spec.name, previewLines: 0)
        var totals = PlanTotals()
        let moved = try RecordFile(path: "\(stem).moved")
        defer { moved.remove() }
        let contradicted = try disagreements.reader()
        try source.adjustments.forEachBatch(of: Self.batchLines) { lines in
            for line in lines {
                var reasons: [String] = []
                while let next = try contradicted.peek(), next[0] == line.userId {
                    reasons.append(next[1] ?? "")
                    _ = try contradicted.next()
                }
                guard !reasons.isEmpty else {
                    try totals.add(line)
                    try spool.add(line)
                    continue
                }
                let held = HeldLine(
                    userId: line.userId, label: line.label, balance: line.balance, ledger: line.ledger, openReceivables: line.openReceivables,
                    excess: line.excess, reason: .gatewayDisagrees,
                    explanation: "the gateway's record disagrees with the shop's: \(reasons.joined(separator: "; ")); nothing is done until a person looks",
                    closest: line.attribution, acknowledged: nil)
                try moved.append([held.userId, String(decoding: CanonicalJSONWriter.encodeBytes(held), as: UTF8.self)])
            }
        }
        guard try contradicted.next() == nil else {
            throw RemedyError(.invariant, "a disagreement of the gateway's names a user no correction of the plan has, in the plan's order")
        }
        // The plan's holds and the moved corrections, merged by user id (both come in that order).
        let movedHolds = try moved.reader()
        func addMoved(_ fields: [String?]) throws {
            guard let held = fields[1].flatMap({ text in Array(text.utf8).withUnsafeBytes { HeldLine.read($0) } }) else {
                throw RemedyError(.invariant, "a correction moved to held no longer reads as the held line it was written as")
            }
            try totals.add(held)
            try spool.add(held)
        }
        try holds.forEachBatch(of: Self.batchLines) { lines in
            for line in lines {
                while let next = try movedHolds.peek(), let user = next[0], user < line.userId {
                    try addMoved(try movedHolds.next()!)
                }
                try totals.add(line)
                try spool.add(line)
            }
        }
        while let next = try movedHolds.next() { try addMoved(next) }
        try settled.forEachBatch(of: Self.batchLines) { lines in
            for line in lines {
                totals.add(line)
                try spool.add(line)
            }
        }
        var verdicts: [GatewayReferenceCheck.Verdict: Int] = [:]
        try sorter.finish { check in
            verdicts[check.verdict, default: 0] += 1
            try spool.add(check)
        }
        try spool.finish()
        totals.usersExamined = plan.totals.usersExamined

        var checked = plan
        checked.format = Plan.currentFormat
        checked.planner = planner
        checked.gateway = GatewayCheck(checkedPlan: source.bundle.digest, gateway: settings.baseURL,
                                       paidAtToleranceSeconds: settings.paidAtToleranceSeconds)
        checked.gatewayChecks = []
        checked.totals = totals
        let written = try PlanRecorder(connection: connection, plannerKey: plannerKey)
            .write(SpooledPlan(header: checked, spool: spool), outDirectory: outDirectory, defaultParent: defaultParent,
                   evidenceFrom: evidenceCreated ? evidence : nil)
        try? FlatDirectory.remove(answers.staging)
        let movedCount = moved.count
        func count(_ verdict: GatewayReferenceCheck.Verdict) -> Int { verdicts[verdict] ?? 0 }
        logger.notice("evidence: \(count(.confirmed)) confirmed, \(count(.disagrees) + count(.unknown)) disagree or unknown, \(count(.owedByShop)) paid but never completed by the shop; \(movedCount) correction(s) moved to held",
                      metadata: ["step": "evidence", "job": "\(spec.name)", "plan_digest": "\(written.digest)"])
        return Outcome(written: written, checkedPlan: source.bundle.digest, fetched: fetched + lateFetches, reused: reused,
                       requests: client.requestsSent, moved: movedCount, verdicts: verdicts)
    }

    /// Where answers are found: kept from an interrupted run (`.gateway-responses/` in the checked
    /// bundle), or in the checked bundle's own `evidence/` (a plan checked before, whose files its
    /// reading checked).
    final class Answers {
        let staging: String
        let source: PlanBundle

        init(staging: String, source: PlanBundle) {
            self.staging = staging
            self.source = source
        }

        func stagedPath(_ reference: String) -> String { "\(staging)/\(GatewayResponseRecord.fileName(reference))" }
        func keptPath(_ reference: String) -> String { "\(source.path)/\(PlanBundle.evidenceDirectory)/\(GatewayResponseRecord.fileName(reference))" }

        func isStaged(_ reference: String) -> Bool { FileManager.default.fileExists(atPath: stagedPath(reference)) }

        /// Whether an answer is on disk (read and checked when used: `answer(for:)`).
        func hasAnswer(for reference: String) -> Bool {
            isStaged(reference)
                || FileManager.default.fileExists(atPath: keptPath(reference))
        }

        /// An answer as read: the record, its bytes (canonical), and the staged file it came from.
        struct Stored {
            let record: GatewayResponseRecord
            let bytes: Data
            let stagedPath: String?
        }

        /// The answer for a safe reference, when one is on disk in remedy's canonical form. Read as
        /// the bundle's reader reads answers (GatewayResponseRecord.storedBytes): anything else,
        /// refused there or not canonical, is no answer.
        func answer(for reference: String) -> Stored? {
            // The staged answer first: an interrupted run's, not yet kept in the bundle.
            for (path, staged) in [(stagedPath(reference), true), (keptPath(reference), false)] {
                guard let data = (try? GatewayResponseRecord.storedBytes(atPath: path)) ?? nil,
                      let record = GatewayResponseRecord.decodeStored(data, reference: reference) else { continue }
                return Stored(record: record, bytes: data, stagedPath: staged ? path : nil)
            }
            return nil
        }
    }

    /// Asks the gateway for every safe reference with no answer in hand, each kept as it arrives.
    /// Returns how many were asked for and how many were in hand (distinct references).
    private func fetchMissing(shop: RecordFile, answers: Answers, client: GatewayClient, settings: GatewaySettings) throws -> (fetched: Int, reused: Int) {
        // Hashes of references already counted (a reference two top-ups share is asked once).
        var seen: Set<Int> = []
        var missing = 0, reused = 0, staged = 0
        do {
            // Said only if it lasts (a stat or two a top-up: seconds at 1,000,000 users).
            let heartbeat = Heartbeat(intervalMilliseconds: Self.heartbeatMilliseconds) { [logger, spec] elapsed in
                logger.notice("evidence: still looking for the answers already in hand, \(elapsed / 1_000) s so far",
                              metadata: ["step": "evidence", "job": "\(spec.name)", "elapsed_ms": "\(elapsed)"])
            }
            defer { heartbeat.stop() }
            try shop.forEach { fields in
                let reference = ShopTopUp.decode(fields).top.reference
                guard GatewayResponseRecord.isSafeReference(reference), seen.insert(reference.hashValue).inserted else { return }
                if answers.isStaged(reference) { staged += 1 }
                if answers.hasAnswer(for: reference) { reused += 1 } else { missing += 1 }
            }
        }
        if staged > 0 {
            logger.notice("evidence: reading \(staged) answer(s) kept from an earlier run", metadata: ["step": "evidence", "job": "\(spec.name)"])
        }
        guard missing > 0 else { return (0, reused) }
        try FileManager.default.createDirectory(atPath: answers.staging, withIntermediateDirectories: true)
        logger.notice("evidence: asking \(settings.baseURL) about \(missing) top-up(s) at most \(settings.requestsPerSecond)/s (\(reused) already fetched)",
                      metadata: ["step": "evidence", "job": "\(spec.name)"])
        seen = []
        var asked = 0
        try shop.forEach { fields in
            let reference = ShopTopUp.decode(fields).top.reference
            guard GatewayResponseRecord.isSafeReference(reference), seen.insert(reference.hashValue).inserted,
                  !answers.hasAnswer(for: reference) else { return }
            try fetch(reference, client: client, answers: answers)
            asked += 1
            logger.notice("evidence: \(asked) of \(missing) asked", metadata: [
                "step": "evidence", "job": "\(spec.name)", "done": "\(asked)", "total": "\(missing)"])
        }
        return (asked, reused)
    }

    /// One answer from the gateway, kept at once: an interrupted run asks only for what it did not get.
    private func fetch(_ reference: String, client: GatewayClient, answers: Answers) throws {
        let response = try client.transactionDetail(reference: reference)
        guard let body = String(validating: response.body, as: UTF8.self) else {
            throw RemedyError(.gateway, "the gateway's answer for \(reference) is not UTF-8 text; remedy keeps no such answer")
        }
        let record = GatewayResponseRecord(format: GatewayResponseRecord.currentFormat, reference: reference, url: response.url,
                                           httpStatus: response.status, fetchedAt: Timestamp(date: Date()).description, body: body)
        try FileManager.default.createDirectory(atPath: answers.staging, withIntermediateDirectories: true)
        try record.encoded().write(to: URL(fileURLWithPath: answers.stagedPath(reference)), options: .atomic)
    }

    /// A local step is said when it starts and every `heartbeatMilliseconds` until the caller stops
    /// the heartbeat it returns: on a plan of 150,000 corrections, reading 838,008 answers kept
    /// from an earlier run and writing the new plan took 15 minutes, with no request to show for it.
    static let heartbeatMilliseconds = 5_000

    private func saying(_ what: String) -> Heartbeat {
        Heartbeat.announcing(what, prefix: "evidence", logger: logger, metadata: ["step": "evidence", "job": "\(spec.name)"],
                             intervalMilliseconds: Self.heartbeatMilliseconds)
    }

    /// The top-ups the plan's corrections and holds name (in the plan's order, each line's in its
    /// attribution's order), with the shop's merchant_ref and status, then the window's top-ups the
    /// shop never completed: written to `file` (ShopTopUp's fields, and whether a correction names
    /// it). One READ ONLY transaction, a batch of lines at a time.
    func shopTopUps(source: StreamedPlanBundle, holds: PlanLineStream<HeldLine>, into file: RecordFile) throws {
        let plan = source.bundle.plan
        try connection.transaction(TransactionOptions(isolation: .repeatableRead, readOnly: true)) {
            try ReadSnapshot.configure(spec, on: connection)
            let tx = spec.schema.transactions
            guard let idType = try connection.query(CatalogSQL.columnType, [tx.table.sql, tx.id.unqualifiedName]).first?.decode(0, as: String.self) else {
                throw RemedyError(.badSpec, "column \(tx.id) does not exist on \(tx.table)")
            }
            func named(_ lines: [(userId: String, topUps: [TopUpAttribution])], fromAdjustment: Bool) throws {
                let ids = Array(Set(lines.flatMap { $0.topUps.map(\.transactionId) })).sorted()
                var rows: [String: (status: String, merchantRef: String?)] = [:]
                if !ids.isEmpty {
                    for row in try connection.query(GatewaySQL.topUpRows(spec, idType: idType), [PostgresArray(ids)]) {
                        rows[try row.decode(0, as: String.self)] = (try row.decode(1, as: String?.self) ?? "", try row.decode(2, as: String?.self))
                    }
                }
                for line in lines {
                    var seen: Set<String> = []
                    for top in line.topUps where seen.insert(top.transactionId).inserted {
                        let row = rows[top.transactionId]
                        try file.append(ShopTopUp(reference: top.reference, transactionId: top.transactionId, userId: line.userId, status: row?.status ?? "",
                                                  completed: row?.status == spec.ledger.completedStatus, named: true, amount: top.amount,
                                                  amountReceived: top.amountReceived, paidAt: top.paidAt, merchantRef: row?.merchantRef)
                            .encoded(fromAdjustment: fromAdjustment))
                    }
                }
            }
            try source.adjustments.forEachBatch(of: Self.batchLines) { lines in
                try named(lines.map { ($0.userId, $0.attribution.topUps) }, fromAdjustment: true)
            }
            try holds.forEachBatch(of: Self.batchLines) { lines in
                try named(lines.map { ($0.userId, $0.closest?.topUps ?? []) }, fromAdjustment: false)
            }
            if let since = plan.parameters["since"], let until = plan.parameters["until"] {
                let times = try ShopCatalog.zonelessTimes(spec, on: connection)
                let query = GatewaySQL.neverCompletedTopUps(spec, times: times)
                let values: [any PostgresEncodable] = [spec.ledger.topupType, since, until] + (query.readsZone ? [times.zone!] : [])
                // Streamed: 537,283 rows at 1,000,000 users. One a line names is checked as named
                // (GatewayCheckSorter keeps that one).
                try connection.stream(query.sql, values) { row in
                    let amountText = try row.decode(4, as: String?.self) ?? ""
                    try file.append(ShopTopUp(reference: try row.decode(0, as: String.self), transactionId: try row.decode(1, as: String.self),
                                              userId: try row.decode(2, as: String?.self) ?? "", status: try row.decode(3, as: String?.self) ?? "",
                                              completed: false, named: false, amount: (try? Money(exactText: amountText)) ?? .zero,
                                              amountReceived: nil, paidAt: nil, merchantRef: try row.decode(5, as: String?.self))
                        .encoded(fromAdjustment: false))
                }
            }
        }
        try file.flush()
    }
}
