import ArgumentParser
import Foundation
import RemedyCore

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "The scheduled run: plan, apply what a signed standing policy allows, leave the rest for sign-off, notify.",
        discussion: """
        Exit codes, for schedulers: 0 nothing left beyond acknowledged holds; 2 a plan waits for \
        sign-off (its path is the last line of output); 1 an error (nothing applied if the policy \
        or anything before apply was refused); 130 stopped by Ctrl-C or SIGTERM while it applied: \
        the batches under way finish, the run's report is written, nothing is written for sign-off \
        and the next run plans again (a signal before or after that apply stops at once; nothing \
        is half done). Without --policy nothing is applied. \
        Notifications go to the webhook in the environment variable the job names (default \
        REMEDY_WEBHOOK_URL): drift found, applied automatically, plan waiting, run failed; each \
        carries the audit chain's head signed with --key (signed_audit_head: keep the messages, \
        `remedy audit verify --head BODY.json` checks them). See runbooks/scheduled-drift.md.
        """)

    @Argument(help: "The job to run, e.g. balance-drift.", completion: Completion.job) var job: String
    @Option(help: ArgumentHelp("The standing policy file (signatures in FILE.approvals/).", valueName: "FILE"), completion: Completion.yaml) var policy: String?
    @Option(help: ArgumentHelp("The operator's key file (a trusted approver who did not sign the policy).", valueName: "FILE"), completion: Completion.key) var key: String
    @Option(name: .customLong("param"), help: ArgumentHelp("A job parameter as name=value; repeat for each.", valueName: "NAME=VALUE"))
    var parameters: [String] = []
    @Option(help: ArgumentHelp("Directory for the bundles (default: ./remedy-plans).", valueName: "DIR"), completion: .directory) var out: String?
    @Flag(help: "Apply automatically even where the shop has no index to find a batch's users by (remedy check lists it): each batch then reads the whole table under its locks.")
    var allowUnindexedRecheck = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var jobs: JobsOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        var exitCode: Int32 = 1
        try Terminal.run {
            let spec = try JobLocator.load(job: job, explicit: jobs.jobsDirectory)
            let notifier = try Notifier.from(spec: spec)
            // Each failure is notified once: by prepare before the run exists, by the run after.
            let stop = ApplyInterrupt.install()
            let scheduled = try ScheduledRun.prepare(job: spec.name, notifier: notifier, logger: Terminal.logger) {
                ScheduledRun(
                    spec: spec, parameters: try JobParameters.resolve(parameters, for: spec), operatorKey: try SigningKey.load(path: key),
                    policy: try policy.map { try StandingPolicy.load(path: $0) }, connection: try database.connect(),
                    notifier: notifier, logger: Terminal.logger, allowUnindexedRecheck: allowUnindexedRecheck, stop: stop)
            }
            let outcome = try scheduled.run(defaultParent: out ?? FileManager.default.currentDirectoryPath + "/remedy-plans")
            exitCode = outcome.stoppedEarly ? ExitStatus.interrupted.rawValue : outcome.exitCode
            if output.json {
                try Terminal.printJSON(RunOutput(
                    totals: outcome.totals, applied: try outcome.applied.map(ApplyReport.Document.init(reading:)), appliedBundle: outcome.automatic?.path,
                    waitingBundle: outcome.waiting?.path, waitingDigest: outcome.waiting?.digest,
                    stoppedEarly: outcome.stoppedEarly, linesNotReached: outcome.applied?.linesNotReached ?? 0,
                    notificationProblems: outcome.notificationProblems))
                return
            }
            if let report = outcome.applied, let bundle = outcome.automatic {
                Terminal.print("applied automatically: \(report.counts.applied) line(s), taken back \(report.takenBack.rupiah), skipped \(report.counts.skipped); plan \(bundle.path)")
                Terminal.print("audit chain head \(report.auditHead)")
            }
            if outcome.stoppedEarly {
                let notReached = outcome.applied.map { $0.linesNotReached > 0 ? "\($0.linesNotReached) line(s) not reached; " : "" } ?? ""
                Terminal.print("interrupted: \(notReached)nothing written for sign-off; the next run plans again (nothing is applied twice)")
                return
            }
            if let waiting = outcome.waiting {
                PlanSummary(bundle: waiting, maxLines: 50).lines.forEach { Terminal.print($0) }
                Terminal.print("")
                Terminal.print("waiting for sign-off:")
                Terminal.print(waiting.path)
            } else {
                Terminal.print("no drift beyond \(outcome.totals.acknowledgedCount) acknowledged hold(s)")
            }
        }
        throw ExitCode(exitCode)
    }
}

struct RunOutput: Encodable {
    /// The run's plan totals (acknowledged holds included).
    let totals: PlanTotals
    /// What a standing policy let it apply automatically, its lines read back whole (a policy's
    /// plan is bounded by its limits, and read whole to be checked against them), and that plan's bundle.
    let applied: ApplyReport.Document?
    let appliedBundle: String?
    /// The plan waiting for sign-off (exit 2), if any.
    let waitingBundle: String?
    let waitingDigest: String?
    /// Ctrl-C or SIGTERM stopped the automatic apply (exit 130): no plan was written for sign-off.
    let stoppedEarly: Bool
    /// The automatic plan's lines that stopped apply did not reach (0 when it was not stopped).
    let linesNotReached: Int
    let notificationProblems: [String]
}
