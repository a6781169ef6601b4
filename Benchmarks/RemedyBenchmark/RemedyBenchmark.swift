import ArgumentParser
import EphemeralPostgres
import Foundation
import Logging
import Postgres
import RemedyCore
import Rupiah
import ShopSimulator
#if canImport(Glibc)
import Glibc
#endif

/// `remedy-benchmark`: one throwaway cluster, one database, the simulated shop at --users, and the
/// figures issue 6 asks for, printed with their ratios to the targets. See Benchmarks/README.md.
@main
struct RemedyBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remedy-benchmark",
        abstract: "Load the simulated shop into a throwaway PostgreSQL and measure remedy plan and apply against plain SQL.",
        discussion: """
        Build both binaries in release first (one --product per invocation):
          swift build -c release --product remedy
          swift build -c release --product remedy-benchmark
          .build/release/remedy-benchmark --users 1000000
        Plan and apply run as the real `remedy` binary (a child process: wall time and peak RSS from wait4).
        """)

    /// Server settings for this machine class (2 cores, 24 GiB); --setting adds or overrides.
    static let defaultSettings = [
        "shared_buffers=6GB", "effective_cache_size=16GB", "work_mem=256MB", "maintenance_work_mem=1GB",
        "max_wal_size=16GB", "checkpoint_timeout=30min", "wal_buffers=64MB", "max_parallel_workers_per_gather=2",
    ]

    @Option(help: "Simulated users (about 10 transactions each).") var users = 1_000_000
    @Option(help: "Timed runs of each plain query (the best is reported; the cache is warm from the first).") var runs = 3
    @Option(help: "Runs of remedy plan (the fastest is reported, the largest peak RSS; apply uses the last plan).") var planRuns = 2
    @Option(help: ArgumentHelp("The remedy binary (default: beside this one).", valueName: "PATH")) var remedy: String?
    @Option(help: ArgumentHelp("The jobs directory (default: ./jobs).", valueName: "DIR")) var jobs = "jobs"
    @Option(name: .customLong("setting"), help: ArgumentHelp("An extra server setting, name=value; repeat for each.", valueName: "NAME=VALUE"))
    var settings: [String] = []
    @Option(help: "Pause between live top-ups, in milliseconds.") var topupPauseMs = 5
    @Option(help: ArgumentHelp("Run with the job's apply.batch_size set to this (a copy of the jobs directory; default: the job's own).", valueName: "N"))
    var batchSize: Int?
    @Option(help: ArgumentHelp("Keep the children's output and the plan bundle here (default: removed with the cluster).", valueName: "DIR"))
    var keep: String?

    static let seed: UInt64 = 1

    /// The launcher mode (see ChildRun) runs before any argument parsing.
    static func main() {
        if CommandLine.arguments.count > 1, CommandLine.arguments[1] == ChildRun.launcherFlag {
            ChildRun.launch(CommandLine.arguments)
        }
        main(nil)
    }

    static var thisExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    func run() throws {
        var logger = Logger(label: "remedy.benchmark")
        logger.logLevel = .warning
        let remedyPath = remedy ?? Self.besideThisExecutable("remedy")
        guard FileManager.default.isExecutableFile(atPath: remedyPath) else {
            throw BenchmarkError("\(remedyPath) is not an executable; build it: swift build -c release --product remedy")
        }
        var jobsDirectory = URL(fileURLWithPath: jobs).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: jobsDirectory + "/tripay-double-credit/job.yaml") else {
            throw BenchmarkError("\(jobsDirectory) holds no tripay-double-credit job; run from the package root or pass --jobs")
        }

        EphemeralClusterRegistry.installInterruptHandlers()
        let serverSettings = Self.defaultSettings + settings
        note("starting a throwaway PostgreSQL (\(serverSettings.joined(separator: ", ")))")
        let cluster = try EphemeralCluster.start(logger: logger, extraSettings: serverSettings)
        defer { cluster.stop() }
        let url = cluster.connectionURL(database: try cluster.createDatabase(named: "shop"))
        let connection = try PostgresConnection.connect(url: url, applicationName: "remedy-benchmark", logger: logger)
        defer { connection.close() }
        let work = keep ?? cluster.directoryPath + "/benchmark"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        if let batchSize {
            jobsDirectory = try Self.jobsCopy(of: jobsDirectory, in: work, batchSize: batchSize)
            note("apply.batch_size \(batchSize) (jobs copied to \(jobsDirectory))")
        }
        var figures = Figures(users: users, remedyPath: remedyPath, serverVersion: try connection.query(BenchmarkSQL.serverVersion)[0].decode(0, as: String.self),
                              settings: serverSettings)

        // 1. The shop.
        note("loading the simulator: \(users) users, seed \(Self.seed)")
        let options = SimulationOptions(seed: Self.seed, userCount: users)
        let loadClock = ContinuousClock.now
        let summary = try ShopSimulator.load(options, into: connection) { line in note("  simulator: \(line)") }
        figures.loadSeconds = (ContinuousClock.now - loadClock).seconds
        let counts = try connection.query(BenchmarkSQL.counts)[0]
        figures.userCount = try counts.decode(0, as: Int.self)
        figures.transactionCount = try counts.decode(1, as: Int.self)
        note("loaded \(figures.userCount) users, \(figures.transactionCount) transactions in \(format(figures.loadSeconds)) s (simulator's own figure \(summary.elapsedMilliseconds) ms)")
        for table in ["public.users", "public.transactions"] { _ = try connection.execute("VACUUM ANALYZE \(table)") }

        // 2. The yardsticks, warm, through this same connection.
        figures.seedQuery = try timed("seed 000 reconciliation", runs: max(1, runs)) { try streamedRows(connection, BenchmarkSQL.seedReconciliation) }
        figures.countScan = try timed("count(*) over transactions", runs: max(1, runs)) { try streamedRows(connection, BenchmarkSQL.countTransactions) }

        // 3. Keys and remedy init (not timed).
        let ring = try KeyRing.create([(name: "andi", role: "engineering"), (name: "sari", role: "finance"), (name: "budi", role: "engineering")], in: work)
        let keys = ring.keys
        _ = try RemedyStore(connection: connection).initialize(approvers: try ApproverFile.load(path: ring.approversFile))

        // 4. remedy plan, the real binary.
        let since = Timestamp(date: options.bugWindowStart)
        let until = Timestamp(date: options.bugWindowEnd)
        var planRunsDone: [ChildResult] = []
        var planDirectory = ""
        for run in 1...max(1, planRuns) {
            planDirectory = "\(work)/plan-\(run)"
            note("remedy plan tripay-double-credit over the whole database (run \(run))")
            let plan = try ChildRun.measured([remedyPath, "plan", "tripay-double-credit", "--param", "since=\(since)", "--param", "until=\(until)",
                                              "--key", "\(work)/andi.key", "--out", planDirectory, "--database-url", url, "--jobs", jobsDirectory],
                                             stdoutPath: "\(work)/plan-\(run).stdout", stderrPath: "\(work)/plan-\(run).stderr")
            guard plan.exitStatus == 0 else {
                throw BenchmarkError("remedy plan exited \(plan.exitStatus):\n\(plan.tail(ofStderr: 20))")
            }
            note("plan run \(run): \(format(plan.seconds)) s, peak RSS \(format(plan.peakRSSMegabytes)) MB")
            planRunsDone.append(plan)
        }
        let plan = planRunsDone.min { $0.seconds < $1.seconds }!
        figures.plan = plan
        figures.planRuns = planRunsDone
        let bundle = try PlanBundle.read(planDirectory)
        figures.planTotals = bundle.plan.totals
        figures.planBytes = (try? FileManager.default.attributesOfItem(atPath: planDirectory + "/plan.json")[.size] as? Int) ?? 0
        note("plan: \(format(plan.seconds)) s, peak RSS \(format(plan.peakRSSMegabytes)) MB; \(bundle.plan.totals.adjustmentCount) adjustments, \(bundle.plan.totals.holdCount) holds, plan.json \(figures.planBytes / 1_048_576) MB")

        // 5. Sign-off (not timed).
        for name in ["sari", "budi"] {
            _ = try PlanSignOff(bundle: bundle, connection: connection).approve(with: keys[name]!)
        }

        // 6. The bare set-based UPDATE of the same balances, rolled back, warm: best of the runs.
        let lines = bundle.plan.adjustments
        let ids = PostgresArray(lines.map(\.userId))
        let amounts = PostgresArray(try lines.map { try $0.delta.negated() })
        figures.bareUpdate = try timed("bare UPDATE of \(lines.count) balances (rolled back)", runs: max(1, runs)) {
            try connection.execute("BEGIN")
            defer { _ = try? connection.execute("ROLLBACK") }
            return try connection.execute(BenchmarkSQL.bareUpdate, [ids, amounts])
        }
        // The rolled-back row versions would otherwise slow apply's first pass over these rows.
        _ = try connection.execute("VACUUM public.users")

        // 7. remedy apply with live top-ups on the users it corrects.
        let applyStderr = "\(work)/apply.stderr"
        let progress = ApplyProgress(stderrPath: applyStderr)
        let planned = lines.map(\.userId)
        let applyBatchSize = try JobLocator.load(job: "tripay-double-credit", explicit: jobsDirectory).apply.batchSize
        let topups = LiveTopups(url: url, userIds: planned.isEmpty ? [try connection.query("SELECT id::text FROM public.users LIMIT 1")[0].decode(0, as: String.self)] : planned,
                                pauseMilliseconds: topupPauseMs, logger: logger) {
            // A user of the batch apply is on (the lines after those it reported done).
            let done = progress.done
            guard done < planned.count else { return nil }
            return planned[Int.random(in: done..<min(done + applyBatchSize, planned.count))]
        }
        let baselineStart = ContinuousClock.now
        topups.start()
        Thread.sleep(forTimeInterval: 3)
        var applyWindow = (start: ContinuousClock.now, end: ContinuousClock.now)
        note("remedy apply (live top-ups running)")
        let apply = try ChildRun.measured([remedyPath, "apply", planDirectory, "--key", "\(work)/andi.key", "--database-url", url, "--jobs", jobsDirectory],
                                     stdoutPath: "\(work)/apply.stdout", stderrPath: applyStderr,
                                     started: { applyWindow.start = ContinuousClock.now })
        applyWindow.end = ContinuousClock.now
        let samples = try topups.stop()
        figures.apply = apply
        figures.applyOutcome = apply.lastLines(ofStdout: 3).first ?? ""
        guard apply.exitStatus == 0 else {
            throw BenchmarkError("remedy apply exited \(apply.exitStatus): \(figures.applyOutcome)\n\(apply.tail(ofStderr: 20))")
        }
        figures.topupsIdle = LatencySummary(samples.filter { $0.startedAt >= baselineStart && $0.startedAt < applyWindow.start }.map(\.milliseconds))
        let during = samples.filter { $0.startedAt >= applyWindow.start && $0.startedAt < applyWindow.end }
        figures.topupsDuringApply = LatencySummary(during.filter { !$0.aimed }.map(\.milliseconds))
        figures.topupsAimed = LatencySummary(during.filter(\.aimed).map(\.milliseconds))
        let batches = try connection.query(BenchmarkSQL.batchDurations, [bundle.digest])[0]
        figures.batches = BatchFigures(count: try batches.decode(0, as: Int.self),
                                       p50: Double(batches.text(1) ?? "") ?? 0, p99: Double(batches.text(2) ?? "") ?? 0,
                                       max: Double(batches.text(3) ?? "") ?? 0, largest: try batches.decode(4, as: Int.self))
        note("apply: \(format(apply.seconds)) s, peak RSS \(format(apply.peakRSSMegabytes)) MB; \(figures.applyOutcome)")

        // 8. Finance's exports of what was done, cross-checked with the database.
        for kind in ["csv", "json", "html"] {
            let out = "\(work)/export.\(kind)"
            note("remedy export --format \(kind)")
            let export = try ChildRun.measured([remedyPath, "export", planDirectory, "--format", kind, "--out", out, "--database-url", url],
                                               stdoutPath: "\(work)/export-\(kind).stdout", stderrPath: "\(work)/export-\(kind).stderr")
            guard export.exitStatus == 0 else {
                throw BenchmarkError("remedy export --format \(kind) exited \(export.exitStatus):\n\(export.tail(ofStderr: 20))")
            }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            figures.exports.append(ExportFigures(format: kind, run: export, bytes: bytes))
            note("export \(kind): \(format(export.seconds)) s, peak RSS \(format(export.peakRSSMegabytes)) MB, \(bytes / 1_048_576) MB written")
        }

        figures.loadAverageAtEnd = Machine.loadAverage
        print("")
        figures.report().forEach { print($0) }
    }

    private func note(_ text: String) {
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withTime, .withColonSeparatorInTime])
        print("[\(stamp)] \(text)")
        fflush(nil)  // progress shows up at once when the output goes to a file
    }

    /// Runs `body` `runs` times and returns every run's seconds (the first one warms the cache).
    private func timed(_ name: String, runs: Int, _ body: () throws -> Int) throws -> Timing {
        var seconds: [Double] = []
        var rows = 0
        for run in 1...runs {
            let began = ContinuousClock.now
            rows = try body()
            seconds.append((ContinuousClock.now - began).seconds)
            note("\(name): run \(run) \(format(seconds.last!)) s (\(rows) rows)")
        }
        return Timing(runs: seconds, rows: rows)
    }

    /// Streams the query's rows (as a client reading them would) and counts them.
    private func streamedRows(_ connection: PostgresConnection, _ sql: String) throws -> Int {
        var rows = 0
        try connection.stream(sql) { _ in rows += 1 }
        return rows
    }

    /// The jobs directory copied into `work`, the double-credit job's apply.batch_size replaced.
    private static func jobsCopy(of directory: String, in work: String, batchSize: Int) throws -> String {
        let copy = work + "/jobs"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: directory, toPath: copy)
        let spec = copy + "/tripay-double-credit/job.yaml"
        let text = try String(contentsOfFile: spec, encoding: .utf8)
        guard let line = text.split(separator: "\n", omittingEmptySubsequences: false).first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("batch_size:") }) else {
            throw BenchmarkError("\(spec) has no batch_size line")
        }
        let indent = line.prefix { $0 == " " }
        try text.replacingOccurrences(of: String(line), with: "\(indent)batch_size: \(batchSize)").write(toFile: spec, atomically: true, encoding: .utf8)
        return copy
    }

    private static func besideThisExecutable(_ name: String) -> String {
        URL(fileURLWithPath: thisExecutable).deletingLastPathComponent().appendingPathComponent(name).path
    }
}

func format(_ value: Double, digits: Int = 3) -> String {
    String(format: "%.\(digits)f", value)
}
