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
        public let bundle: PlanBundle
        public let checkedPlan: String
        /// Answers asked of the gateway in this run (not counting retries) and reused from earlier.
        public let fetched: Int
        public let reused: Int
        /// HTTP requests sent, retries included.
        public let requests: Int
        /// Corrections moved to held.
        public let moved: Int
        public let checks: [GatewayReferenceCheck]
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

    /// `source`: the plan to check, as `PlanBundle.read` read it (the caller has, to find its job).
    public func run(source: PlanBundle, outDirectory: String?, defaultParent: String) throws -> Outcome {
        let plan = source.plan
        let (settings, apiKey) = try Self.requireReady(spec: spec, environment: environment)
        guard plan.kind == .correction, plan.standingPolicy == nil else {
            throw RemedyError(.notApplicable, "remedy evidence checks the top-ups of a correction plan; this plan is a \(plan.kind.rawValue)\(plan.standingPolicy == nil ? "" : " of a standing policy")")
        }
        guard plan.job == spec.name, plan.specDigest == spec.digest else {
            throw RemedyError(.badInput, "this plan was made with job \(plan.job)'s spec digest \(plan.specDigest.prefix(16))…, the spec on disk is \(spec.name) \(spec.digest.prefix(16))…; use the job spec the plan was made with, or make a new plan")
        }
        let store = RemedyStore(connection: connection)
        try store.requireInitialized()
        let planner = try store.requireTrusted(plannerKey, as: "planner")
        let identity = try store.identity()
        guard identity == plan.database else {
            throw RemedyError(.wrongDatabase, "this plan was made on \(plan.database), but this is \(identity); connect to the plan's database")
        }

        // Before asking anyone anything: a bundle is never overwritten.
        if let outDirectory, FileManager.default.fileExists(atPath: outDirectory) {
            throw RemedyError(.io, "\(outDirectory) already exists; a plan bundle is never overwritten: choose another --out")
        }
        let shop: [ShopTopUp]
        do { shop = try shopTopUps(of: plan) } catch { throw ReadSnapshot.explainingTimeout(error, spec: spec, step: "reading the plan's top-ups from the shop") }
        let staging = "\(source.path)/\(Self.stagingDirectory)"
        var answers = source.storedEvidence()
        let reused = Set(shop.map(\.reference)).filter { answers[$0] != nil }.count
        var reusedStaged = 0
        let staged = ((try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? []).filter { $0.hasSuffix(".json") }
        if !staged.isEmpty {
            let heartbeat = saying("reading \(staged.count) answer(s) kept from an earlier run")
            defer { heartbeat.stop() }
            for name in staged {
                let reference = String(name.dropLast(5))
                guard answers[reference] == nil, GatewayResponseRecord.isSafeReference(reference),
                      let data = FileManager.default.contents(atPath: "\(staging)/\(name)"),
                      let record = GatewayResponseRecord.decodeStored(data, reference: reference) else { continue }
                answers[reference] = record
                reusedStaged += 1
            }
        }

        let wanted = Array(Set(shop.map(\.reference).filter(GatewayResponseRecord.isSafeReference))).sorted()
        let missing = wanted.filter { answers[$0] == nil }
        let client = GatewayClient(settings: settings, apiKey: apiKey)
        if !missing.isEmpty {
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
            logger.notice("evidence: asking \(settings.baseURL) about \(missing.count) top-up(s) at most \(settings.requestsPerSecond)/s (\(wanted.count - missing.count) already fetched)",
                          metadata: ["step": "evidence", "job": "\(spec.name)"])
        }
        for (index, reference) in missing.enumerated() {
            let response = try client.transactionDetail(reference: reference)
            guard let body = String(validating: response.body, as: UTF8.self) else {
                throw RemedyError(.gateway, "the gateway's answer for \(reference) is not UTF-8 text; remedy keeps no such answer")
            }
            let record = GatewayResponseRecord(format: GatewayResponseRecord.currentFormat, reference: reference, url: response.url,
                                               httpStatus: response.status, fetchedAt: Timestamp(date: Date()).description, body: body)
            // Kept at once: an interrupted run asks only for what it did not get.
            try record.encoded().data.write(to: URL(fileURLWithPath: "\(staging)/\(GatewayResponseRecord.fileName(reference))"), options: .atomic)
            answers[reference] = record
            logger.notice("evidence: \(index + 1) of \(missing.count) asked", metadata: [
                "step": "evidence", "job": "\(spec.name)", "done": "\(index + 1)", "total": "\(missing.count)"])
        }

        let heartbeat = saying("comparing \(shop.count) top-up(s) with the gateway's answers and writing the new plan")
        defer { heartbeat.stop() }
        let comparison = GatewayComparison(settings: settings)
        var checks: [GatewayReferenceCheck] = []
        var files: [String: Data] = [:]
        for top in shop {
            guard GatewayResponseRecord.isSafeReference(top.reference), let record = answers[top.reference] else {
                checks.append(GatewayReferenceCheck(reference: top.reference, userId: top.userId, transactionId: top.transactionId, shopStatus: top.status,
                                                    verdict: .notChecked, reason: "the reference is not one a gateway issues (letters, digits, - and _ only); not asked", amountReceived: nil, sha256: nil))
                continue
            }
            let (data, sha256) = try record.encoded()
            files[GatewayResponseRecord.fileName(top.reference)] = data
            let (verdict, reason, received) = comparison.verdict(for: top, response: record)
            checks.append(GatewayReferenceCheck(reference: top.reference, userId: top.userId, transactionId: top.transactionId, shopStatus: top.status,
                                                verdict: verdict, reason: reason, amountReceived: verdict == .owedByShop ? received : nil, sha256: sha256))
        }
        checks.sort { ($0.reference, $0.transactionId) < ($1.reference, $1.transactionId) }

        var checked = plan
        checked.planner = planner
        checked.gateway = GatewayCheck(checkedPlan: source.digest, gateway: settings.baseURL,
                                       paidAtToleranceSeconds: settings.paidAtToleranceSeconds, references: checks)
        let disagreeing = Dictionary(grouping: checks.filter { $0.verdict == .disagrees || $0.verdict == .unknown }, by: \.transactionId)
        var moved = 0
        checked.adjustments = []
        for line in plan.adjustments {
            let reasons = line.attribution.topUps.flatMap { disagreeing[$0.transactionId] ?? [] }.compactMap(\.reason)
            guard !reasons.isEmpty else { checked.adjustments.append(line); continue }
            moved += 1
            checked.holds.append(HeldLine(
                userId: line.userId, label: line.label, balance: line.balance, ledger: line.ledger, openReceivables: line.openReceivables,
                excess: line.excess, reason: .gatewayDisagrees,
                explanation: "the gateway's record disagrees with the shop's: \(reasons.joined(separator: "; ")); nothing is done until a person looks",
                closest: line.attribution, acknowledged: nil))
        }
        checked.holds.sort { $0.userId < $1.userId }
        checked.totals = try PlanTotals(adjustments: checked.adjustments, holds: checked.holds, settled: checked.settled,
                                        usersExamined: plan.totals.usersExamined)

        let bundle = try PlanRecorder(connection: connection, plannerKey: plannerKey)
            .write(checked, outDirectory: outDirectory, defaultParent: defaultParent, evidence: files)
        try? FileManager.default.removeItem(atPath: staging)
        logger.notice("evidence: \(checks.filter { $0.verdict == .confirmed }.count) confirmed, \(checks.filter { $0.verdict == .disagrees || $0.verdict == .unknown }.count) disagree or unknown, \(checks.filter { $0.verdict == .owedByShop }.count) paid but never completed by the shop; \(moved) correction(s) moved to held",
                      metadata: ["step": "evidence", "job": "\(spec.name)", "plan_digest": "\(bundle.digest)"])
        return Outcome(bundle: bundle, checkedPlan: source.digest, fetched: missing.count, reused: reused + reusedStaged,
                       requests: client.requestsSent, moved: moved, checks: checks)
    }

    /// A local step is said when it starts and every `heartbeatMilliseconds` until the caller stops
    /// the heartbeat it returns: on a plan of 150,000 corrections, reading 838,008 answers kept
    /// from an earlier run and writing the new plan took 15 minutes, with no request to show for it.
    static let heartbeatMilliseconds = 5_000

    private func saying(_ what: String) -> Heartbeat {
        Heartbeat.announcing(what, prefix: "evidence", logger: logger, metadata: ["step": "evidence", "job": "\(spec.name)"],
                             intervalMilliseconds: Self.heartbeatMilliseconds)
    }

    /// The top-ups the plan's corrections and holds name, with the shop's merchant_ref and status,
    /// then the window's top-ups the shop never completed. One READ ONLY transaction.
    func shopTopUps(of plan: Plan) throws -> [ShopTopUp] {
        var named: [(userId: String, topUp: TopUpAttribution)] = []
        for line in plan.adjustments { named += line.attribution.topUps.map { (line.userId, $0) } }
        for line in plan.holds { named += (line.closest?.topUps ?? []).map { (line.userId, $0) } }
        let ids = Array(Set(named.map(\.topUp.transactionId))).sorted()
        return try connection.transaction(TransactionOptions(isolation: .repeatableRead, readOnly: true)) {
            try ReadSnapshot.configure(spec, on: connection)
            var rows: [String: (status: String, merchantRef: String?)] = [:]
            if !ids.isEmpty {
                let json = String(decoding: try JSONEncoder().encode(ids), as: UTF8.self)
                for row in try connection.query(GatewaySQL.topUpRows(spec), [json]) {
                    rows[try row.decode(0, as: String.self)] = (try row.decode(1, as: String?.self) ?? "", try row.decode(2, as: String?.self))
                }
            }
            var seen: Set<String> = []
            var topUps: [ShopTopUp] = []
            for (userId, top) in named where seen.insert(top.transactionId).inserted {
                let row = rows[top.transactionId]
                topUps.append(ShopTopUp(reference: top.reference, transactionId: top.transactionId, userId: userId, status: row?.status ?? "",
                                        completed: row?.status == spec.ledger.completedStatus, named: true, amount: top.amount, amountReceived: top.amountReceived, paidAt: top.paidAt,
                                        merchantRef: row?.merchantRef))
            }
            if let since = plan.parameters["since"], let until = plan.parameters["until"] {
                let times = try ShopCatalog.zonelessTimes(spec, on: connection)
                let query = GatewaySQL.neverCompletedTopUps(spec, times: times)
                let values: [any PostgresEncodable] = [spec.ledger.topupType, since, until] + (query.readsZone ? [times.zone!] : [])
                for row in try connection.query(query.sql, values) {
                    let id = try row.decode(1, as: String.self)
                    guard seen.insert(id).inserted else { continue }
                    let amountText = try row.decode(4, as: String?.self) ?? ""
                    topUps.append(ShopTopUp(reference: try row.decode(0, as: String.self), transactionId: id, userId: try row.decode(2, as: String?.self) ?? "",
                                            status: try row.decode(3, as: String?.self) ?? "", completed: false, named: false,
                                            amount: (try? Money(exactText: amountText)) ?? .zero, amountReceived: nil, paidAt: nil,
                                            merchantRef: try row.decode(5, as: String?.self)))
                }
            }
            return topUps
        }
    }
}
