import Foundation
import RemedyCore

struct Timing {
    let runs: [Double]
    let rows: Int
    var best: Double { runs.min() ?? 0 }
    var described: String { runs.map { format($0) }.joined(separator: ", ") }
}

struct BatchFigures {
    let count: Int
    let p50: Double
    let p99: Double
    let max: Double
    let largest: Int
    /// Measured to COMMIT (the server tracks commit timestamps); else to the audit rows'
    /// timestamp, a lower bound that misses the audit insert and COMMIT.
    let toCommit: Bool

    /// What the figures measure, for the report.
    var span: String { toCommit ? "BEGIN → COMMIT" : "BEGIN → audit timestamp, a lower bound: the server does not track commit timestamps" }
}

/// One run of a remedy command whose peak RSS is a target: its name, the child, what it wrote.
struct CommandFigures {
    let name: String
    let run: ChildResult
    /// Bytes of what it wrote (an export's file, show --json's stdout), or nil.
    let bytes: Int?
}

/// The HTML report opened in headless Chromium.
struct BrowserFigures {
    let bytes: Int
    let run: ChildResult
    /// The DOM after scripts ran holds the report's title: the page rendered, not an error page.
    let rendered: Bool
}

/// Apply and its yardsticks: once as the cluster runs (fsync off on a throwaway cluster), once
/// durable (fsync, synchronous_commit and full_page_writes on, a fresh copy, its own plan); both
/// with the same live top-ups.
struct ApplyFigures {
    var settings: [String] = []
    var bareUpdate = Timing(runs: [], rows: 0)
    var bookFloor = Timing(runs: [], rows: 0)
    var apply: ChildResult?
    var outcome = ""
    var batches: BatchFigures?
    /// Where the server loads pg_stat_statements.
    var serverStatements: ServerStatementTimes?
    var topupsIdle: LatencySummary?
    var topupsDuringApply: LatencySummary?
    var topupsAimed: LatencySummary?
}

/// Everything one size measured.
struct Figures {
    let users: Int
    var template = ""
    var serverVersion = ""
    var settings: [String] = []
    var userCount = 0
    var transactionCount = 0
    /// The simulator's load (self-contained mode only).
    var loadSeconds: Double?
    var copySeconds = 0.0
    /// `--ledger-index`: the seconds the index and the VACUUM after it took on the copy.
    var ledgerIndexSeconds: Double?
    var seedQuery = Timing(runs: [], rows: 0)
    var ledgerFloor = Timing(runs: [], rows: 0)
    /// The floor's sums made in the client (Yardsticks.clientLedger), and the memory they held.
    var clientLedger = Timing(runs: [], rows: 0)
    var clientLedgerMegabytes = 0.0
    /// One pass over every transaction folded in the client (Yardsticks.onePass), and its fold.
    var onePass = Timing(runs: [], rows: 0)
    var onePassFold: OnePassFold?
    var countScan = Timing(runs: [], rows: 0)
    var planRuns: [ChildResult] = []
    var planTotals = PlanTotals()
    var planBytes = 0
    var applied = ApplyFigures()
    var durable: ApplyFigures?
    var commands: [CommandFigures] = []
    var browser: BrowserFigures?
    /// /proc/loadavg when the size started and when it ended: other work on the machine shows here.
    var loadAverageAtStart = Machine.loadAverage
    var loadAverageAtEnd = ""

    var plan: ChildResult? { planRuns.min { $0.seconds < $1.seconds } }
    var planPeakMegabytes: Double { planRuns.map(\.peakRSSMegabytes).max() ?? 0 }
    /// The fastest plan's phases, from its log.
    var planPhases: PlanPhases? { plan.flatMap { PlanPhases(stderrPath: $0.stderrPath, wallSeconds: $0.seconds) } }
}

/// What the figures were measured on (Linux: /proc).
enum Machine {
    static var loadAverage: String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// This process's resident memory now (VmRSS), in MB.
    static var residentMegabytes: Double {
        Double(kilobytes("VmRSS", in: "/proc/self/status")) / 1_024
    }

    /// A `Key:   123 kB` line of a /proc file, in kB; 0 when it cannot be read.
    private static func kilobytes(_ key: String, in file: String) -> Int {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").first { $0.hasPrefix(key + ":") }?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    }

    static var description: String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":", maxSplits: 1).last?
            .trimmingCharacters(in: .whitespaces) ?? "?"
        let memory = Double(kilobytes("MemTotal", in: "/proc/meminfo")) / 1_048_576
        return "\(ProcessInfo.processInfo.activeProcessorCount) CPUs (\(model)), \(format(memory, digits: 1)) GiB memory"
    }
}
