import ArgumentParser
import EphemeralPostgres
import Foundation
import Logging
import RemedyCore
#if canImport(Glibc)
import Glibc
#endif

/// `remedy-benchmark`: the simulated shop at one or more sizes, each measured on a copy of a
/// template database, and the figures issue 13 asks for printed as ratios to plain SQL measured in
/// the same run. See Benchmarks/README.md.
@main
struct RemedyBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remedy-benchmark",
        abstract: "Measure remedy against plain SQL on simulated shops: plan, apply (also durable), and every command's peak RSS.",
        discussion: """
        Build both binaries in release first (one --product per invocation):
          swift build -c release --product remedy
          swift build -c release --product remedy-benchmark
          .build/release/remedy-benchmark --users 100000,300000           # its own throwaway cluster
          .build/release/remedy-benchmark --server 'host=/sock port=5433 user=postgres' --template-database shop_300k,shop_1m
        remedy runs as the real binary (a child process: wall time and peak RSS from wait4).
        """)

    /// Server settings for this machine class (2 cores, 24 GiB) in the self-contained mode; --setting adds or overrides.
    static let defaultSettings = [
        "shared_buffers=6GB", "effective_cache_size=16GB", "work_mem=256MB", "maintenance_work_mem=1GB",
        "max_wal_size=16GB", "checkpoint_timeout=30min", "wal_buffers=64MB", "max_parallel_workers_per_gather=2",
        // Apply's batches are timed from BEGIN to their commit timestamps (batchFigures).
        "track_commit_timestamp=on",
        // Apply's server time by statement (ServerStatementTimes).
        "shared_preload_libraries=pg_stat_statements", "pg_stat_statements.track_planning=on",
    ]

    @Option(help: ArgumentHelp("Simulated users per size, comma-separated (self-contained mode: each size is loaded into its own cluster's template).", valueName: "N[,N…]"))
    var users = "1000000"
    @Option(help: ArgumentHelp("A running server holding prepared shops (conninfo or URI, a superuser, no database): copies are made from --template-database.", valueName: "CONNINFO"))
    var server: String?
    @Option(help: ArgumentHelp("With --server: the template databases to measure, comma-separated (e.g. shop_100k,shop_300k,shop_1m). Never written to.", valueName: "NAME[,NAME…]"))
    var templateDatabase: String?
    @Option(help: "Timed runs of each plain query (the best is reported; the cache is warm from the first).") var runs = 3
    @Option(help: "Runs of remedy plan (the fastest is reported, the largest peak RSS; apply uses the last plan).") var planRuns = 2
    @Option(help: ArgumentHelp("The remedy binary (default: beside this one).", valueName: "PATH")) var remedy: String?
    @Option(help: ArgumentHelp("The jobs directory (default: ./jobs).", valueName: "DIR")) var jobs = "jobs"
    @Option(name: .customLong("setting"), help: ArgumentHelp("Self-contained mode: an extra server setting, name=value; repeat for each.", valueName: "NAME=VALUE"))
    var settings: [String] = []
    @Option(help: "Pause between live top-ups, in milliseconds.") var topupPauseMs = 5
    @Option(help: ArgumentHelp("Run with the job's apply.batch_size set to this (a copy of the jobs directory; default: the job's own).", valueName: "N"))
    var batchSize: Int?
    @Option(help: ArgumentHelp("Pass --connections N to remedy apply: batches side by side on N connections (default: apply's own).", valueName: "N"))
    var applyConnections = Applier.defaultConnections
    @Flag(help: "Skip the durable apply (fsync, synchronous_commit, full_page_writes on, on a second copy).") var noDurable = false
    @Flag(help: "With --server: let the durable step ALTER SYSTEM that server (only one nobody else is using; without it, --server skips the durable step).")
    var alterSystem = false
    @Flag(help: "Skip rendering the HTML report in headless Chromium.") var noBrowser = false
    @Flag(help: "Pass --allow-unindexed-recheck to remedy apply: to measure a template whose transactions have no index by user (apply refuses it otherwise).")
    var allowUnindexedRecheck = false
    @Flag(help: "Give every copy, before anything is measured on it, the index remedy check advises for the recheck (transactions by user, holding the ledger's columns; built CONCURRENTLY, then VACUUM): every figure is then of that shop.")
    var ledgerIndex = false
    @Option(help: ArgumentHelp("Keep the children's output, plan bundles and exports here (default: removed at exit).", valueName: "DIR"))
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

    func validate() throws {
        if server != nil, templateDatabase == nil { throw ValidationError("--server needs --template-database: the prepared shops to copy") }
        if server == nil, templateDatabase != nil { throw ValidationError("--template-database needs --server: the server that holds it") }
        if server == nil, sizes.isEmpty { throw ValidationError("--users takes positive numbers separated by commas, e.g. 100000,300000") }
    }

    private var sizes: [Int] { users.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 } }
    private var templates: [String] { (templateDatabase ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    func run() throws {
        var logger = Logger(label: "remedy.benchmark")
        logger.logLevel = .warning
        let remedyPath = remedy ?? URL(fileURLWithPath: Self.thisExecutable).deletingLastPathComponent().appendingPathComponent("remedy").path
        guard FileManager.default.isExecutableFile(atPath: remedyPath) else {
            throw BenchmarkError("\(remedyPath) is not an executable; build it: swift build -c release --product remedy")
        }
        var jobsDirectory = URL(fileURLWithPath: jobs).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: jobsDirectory + "/tripay-double-credit/job.yaml") else {
            throw BenchmarkError("\(jobsDirectory) holds no tripay-double-credit job; run from the package root or pass --jobs")
        }
        let chromium = noBrowser ? nil : HeadlessBrowser.find()
        if !noBrowser, chromium == nil { note("chromium not found: the HTML report is not rendered (apt-get install -y chromium)") }

        EphemeralClusterRegistry.installInterruptHandlers()
        let shopServer: ShopServer
        if let server {
            shopServer = ShopServer(server: server, logger: logger)
        } else {
            let serverSettings = Self.defaultSettings + settings
            note("starting a throwaway PostgreSQL (\(serverSettings.joined(separator: ", ")))")
            shopServer = try ShopServer(throwawayWith: serverSettings, logger: logger)
        }
        defer { shopServer.stop() }
        let work = keep ?? NSTemporaryDirectory() + "remedy-benchmark-\(getpid())"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        if keep == nil { Cleanups.add("remove \(work)") { try? FileManager.default.removeItem(atPath: work) } }
        if let batchSize {
            jobsDirectory = try JobsCopy.make(of: jobsDirectory, in: work, batchSize: batchSize)
            note("apply.batch_size \(batchSize) (jobs copied to \(jobsDirectory))")
        }
        // A shared server is not reconfigured unless its owner says so.
        let durable = !noDurable && (server == nil || alterSystem)
        if !noDurable, !durable { note("the durable step is skipped: it would ALTER SYSTEM the shared --server (pass --alter-system on a server of your own)") }
        var runSettings = RunSettings(remedyPath: remedyPath, jobs: jobsDirectory, runs: max(1, runs), planRuns: max(1, planRuns),
                                      topupPauseMs: topupPauseMs, durable: durable, chromium: chromium, logger: logger, applyConnections: applyConnections)
        runSettings.applyArguments = ["--connections", String(applyConnections)]
        if allowUnindexedRecheck { runSettings.applyArguments.append("--allow-unindexed-recheck") }
        runSettings.ledgerIndex = ledgerIndex
        let mode = server == nil ? "the simulator (seed \(Self.seed)) loaded into a throwaway cluster at \(sizes.map(String.init).joined(separator: ", ")) users"
                                 : "copies of \(templates.joined(separator: ", ")) on \(server!)"
        var output = RunHeader.lines(remedyPath: remedyPath, mode: mode)
        output.append("remedy apply runs with `--connections \(applyConnections)`.")
        if ledgerIndex { output.append("Every copy is given the index remedy check advises for the recheck (`--ledger-index`) before anything is measured on it.") }
        output.forEach { note($0) }
        var measured: [Figures] = []
        for (index, size) in (server == nil ? sizes.map { "shop_\($0)" } : templates).enumerated() {
            var figures = Figures(users: server == nil ? sizes[index] : 0)
            var template = size
            if server == nil {
                note("loading the simulator: \(sizes[index]) users, seed \(Self.seed)")
                let loaded = try shopServer.loadTemplate(users: sizes[index], seed: Self.seed, note: note)
                template = loaded.name
                figures.loadSeconds = loaded.seconds
            }
            try SizeRun(server: shopServer, template: template, settings: runSettings, work: "\(work)/\(size)").measure(&figures)
            if server == nil { shopServer.drop(template) }
            measured.append(figures)
            print("")
            figures.report().forEach { print($0) }
            fflush(nil)
            output += [""] + figures.report()
        }
        if measured.count > 1 {
            output += ["", "### Growth", ""] + GrowthTable.lines(measured)
        }
        try? output.joined(separator: "\n").appending("\n").write(toFile: work + "/report.md", atomically: true, encoding: .utf8)
        print("")
        print("==== the whole report (also in \(keep.map { $0 + "/report.md" } ?? "the run's directory, removed at exit")) ====")
        output.forEach { print($0) }
    }
}
