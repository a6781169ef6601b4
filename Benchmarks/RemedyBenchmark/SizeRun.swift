import Foundation
import Logging
import Postgres
import RemedyCore
import ShopSimulator

/// What every size is run with (RemedyBenchmark's options, checked).
struct RunSettings {
    let remedyPath: String
    let jobs: String
    let runs: Int
    let planRuns: Int
    let topupPauseMs: Int
    let durable: Bool
    let chromium: String?
    let logger: Logger
    /// `remedy apply --connections`: batches in flight at once (the live top-ups aim at them all).
    let applyConnections: Int
    /// Extra arguments of every `remedy apply` (`--connections`, `--allow-unindexed-recheck`).
    var applyArguments: [String] = []
    /// Every copy gets the index remedy check advises for the recheck (`--ledger-index`).
    var ledgerIndex = false
}

/// One size of shop measured on copies of its template: the yardsticks and every remedy command of
/// issue 13 on one copy, dropped when done; then apply again, durable, on a fresh copy.
struct SizeRun {
    let server: ShopServer
    let template: String
    let settings: RunSettings
    /// This size's directory: keys, plan bundles, the children's output, the exports.
    let work: String

    static let planners = [(name: "andi", role: "engineering"), (name: "sari", role: "finance"), (name: "budi", role: "engineering")]
    static let since = Timestamp(date: SimulationOptions.defaultBugWindowStart)
    static let until = Timestamp(date: SimulationOptions.defaultBugWindowEnd)

    /// With `--ledger-index`: the index remedy check advises for the recheck, built as it says
    /// (CONCURRENTLY, then VACUUM so that index-only reads see every page all-visible); its
    /// seconds, or nil without the flag.
    func giveLedgerIndex(_ connection: PostgresConnection) throws -> Double? {
        guard settings.ledgerIndex else { return nil }
        let spec = try JobSpec.load(directory: "\(settings.jobs)/tripay-double-credit")
        let lookup = try PerUserLookup.transactions(spec, on: connection)
        guard !lookup.readsLedgerFromIndexAlone else { throw BenchmarkError("--ledger-index: the template already has one (\(lookup.coveringIndexName ?? "")); measure it without the flag") }
        let began = ContinuousClock.now
        _ = try connection.execute(lookup.createLedgerIndexStatement)
        _ = try connection.execute("VACUUM (ANALYZE) \(spec.schema.transactions.table.sql)")
        let seconds = (ContinuousClock.now - began).seconds
        note("ledger index: \(lookup.createLedgerIndexStatement), then VACUUM, in \(format(seconds)) s")
        return seconds
    }

    func measure(_ figures: inout Figures) throws {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let ring = try KeyRing.create(Self.planners, in: work)
        try measureOnACopy(ring: ring, into: &figures)
        if settings.durable {
            figures.durable = try durableApply(ring: ring)
        }
        figures.loadAverageAtEnd = Machine.loadAverage
    }

    /// Everything but the durable apply, on one copy of the template, dropped when done.
    private func measureOnACopy(ring: KeyRing, into figures: inout Figures) throws {
        let copy = try server.copy(of: template)
        figures.copySeconds = copy.seconds
        note("copied \(template) to \(copy.name) in \(format(copy.seconds)) s")
        defer { server.drop(copy.name) }
        let connection = try server.connect(database: copy.name)
        defer { connection.close() }  // before the drop (defers run last first)
        figures.ledgerIndexSeconds = try giveLedgerIndex(connection)
        try describeServer(connection, into: &figures)
        let commands = RemedyCommands(remedyPath: settings.remedyPath, url: server.url(database: copy.name), jobs: settings.jobs, work: work,
                                      applyArguments: settings.applyArguments)

        let yardsticks = Yardsticks(connection: connection, runs: settings.runs)
        figures.seedQuery = try yardsticks.seedQuery()
        figures.ledgerFloor = try yardsticks.ledgerFloor()
        let clientSums = try yardsticks.clientLedger()
        (figures.clientLedger, figures.clientLedgerMegabytes) = (clientSums.timing, clientSums.heldMegabytes)
        (figures.onePass, figures.onePassFold) = try yardsticks.onePass(since: "\(Self.since)", until: "\(Self.until)")
        // The fold's ledgers are the floor's, made in the client: the same users, each with the
        // same sum as the client's own sums, or the figure is not one.
        guard let fold = figures.onePassFold, fold.ledgers.count == figures.ledgerFloor.rows, fold.ledgers.fingerprint == clientSums.fingerprint else {
            throw BenchmarkError("the one pass folded \(figures.onePassFold?.ledgers.count ?? 0) users' ledgers where the floor has \(figures.ledgerFloor.rows), or sums other than the client's")
        }
        figures.countScan = try yardsticks.countScan()

        _ = try RemedyStore(connection: connection).initialize(approvers: try ApproverFile.load(path: ring.approversFile))
        for run in 1...max(1, settings.planRuns) {
            figures.planRuns.append(try commands.required("plan-\(run)", planArguments(job: "tripay-double-credit", out: "\(work)/plan-\(run)")))
        }
        let planDirectory = "\(work)/plan-\(max(1, settings.planRuns))"
        let bundle = try approve(planDirectory, commands: commands, into: &figures)
        figures.planTotals = bundle.plan.totals
        figures.planBytes = fileSize(planDirectory + "/plan.json")
        let moves = try BalanceMoves(bundle.plan)

        figures.applied.settings = figures.settings
        figures.applied.bareUpdate = try yardsticks.bareUpdate(moves)
        // The rolled-back row versions would otherwise slow apply's first pass over these rows.
        _ = try connection.execute("VACUUM public.users")
        try applyWithLiveTopups(bundle: bundle, directory: planDirectory, label: "apply", commands: commands, connection: connection, into: &figures.applied)
        figures.applied.bookFloor = try yardsticks.bookFloor(digest: bundle.digest, moves)
        for table in ["public.users", "remedy.entries", "remedy.receivables", "remedy.audit_log"] { _ = try connection.execute("VACUUM \(table)") }

        try runReadingCommands(planDirectory: planDirectory, heldUser: bundle.plan.holds.first?.userId, commands: commands, into: &figures)
    }

    func planArguments(job: String, out: String) -> [String] {
        // JSON events on stderr: the plan's phases are read from their times (PlanPhases).
        ["plan", job, "--param", "since=\(Self.since)", "--param", "until=\(Self.until)", "--key", "\(work)/andi.key", "--out", out, "--jobs", settings.jobs,
         "--log-format", "json"]
    }

    /// The bundle read back and approved by the quorum (finance and a second engineer), in-process
    /// (the durable run's; the main run approves with `remedy approve`, measured).
    func signedOff(_ directory: String, ring: KeyRing, connection: PostgresConnection) throws -> PlanBundle {
        let bundle = try PlanBundle.read(directory)
        for name in ["sari", "budi"] {
            _ = try PlanSignOff(bundle: bundle, connection: connection).approve(with: ring.keys[name]!)
        }
        return bundle
    }

    private func describeServer(_ connection: PostgresConnection, into figures: inout Figures) throws {
        figures.template = template
        figures.serverVersion = try connection.query(BenchmarkSQL.serverVersion)[0].decode(0, as: String.self)
        figures.settings = try connection.query(BenchmarkSQL.settings).map { try $0.decode(0, as: String.self) }
        let counts = try connection.query(BenchmarkSQL.counts)[0]
        figures.userCount = try counts.decode(0, as: Int.self)
        figures.transactionCount = try counts.decode(1, as: Int.self)
        note("\(figures.userCount) users, \(figures.transactionCount) transactions; \(figures.settings.joined(separator: " "))")
    }
}
