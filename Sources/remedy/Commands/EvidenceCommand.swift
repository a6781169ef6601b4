import ArgumentParser
import Foundation
import RemedyCore

struct EvidenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence",
        abstract: "Cross-check a plan's top-ups with the payment gateway; writes a new plan with the gateway's answers.",
        discussion: """
        For every top-up a correction or a hold names (and every top-up of the window the shop never \
        completed) asks the gateway of the job's `gateway:` section for its record \
        (Tripay: GET {base_url}/transaction/detail?reference=REF) and compares status, amount, \
        amount_received, paid_at (within gateway.paid_at_tolerance_seconds) and merchant_ref with the \
        shop's. A correction the gateway contradicts, or whose reference it does not know, is held with \
        the field and both values; a top-up the gateway shows paid that the shop never completed is \
        reported (the shop owes the user). The answers go into the new bundle (evidence/REFERENCE.json), \
        covered by its digest; the new plan is signed by --key and needs its own approvals.

        The API key is read from the environment variable gateway.api_key_env names, never from the \
        command line; it is never printed, logged or written. Requests keep to \
        gateway.requests_per_second, retry timeouts, 429 and 5xx with backoff, and stop at once on \
        401/403. Interrupted? Run the same command again: answers already fetched are not asked again.
        Example:
          TRIPAY_API_KEY=… remedy evidence remedy-plans/tripay-double-credit-… --key planner.key
        The last line of output is the new bundle's path (with --json: one JSON document, "bundle").
        """)

    @Argument(help: "The plan bundle to check.", completion: Completion.bundle) var plan: String
    @Option(help: ArgumentHelp("The planner's key file (signs the new plan; must be a trusted approver).", valueName: "FILE"), completion: Completion.key)
    var key: String
    @Option(help: ArgumentHelp("Directory for the new bundle (default: ./remedy-plans/JOB-TIME-DIGEST).", valueName: "DIR"), completion: .directory)
    var out: String?
    @Option(help: "Lines shown per section of the summary.") var maxLines = 200
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var jobs: JobsOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run {
            // The checked plan's indexes are let go before the new plan is read back for the summary.
            let outcome = try {
                let source = try PlanBundle.readStreaming(plan, keepingHoldsAndSettled: true, logger: Terminal.logger)
                let spec = try JobLocator.load(job: source.bundle.plan.job, explicit: jobs.jobsDirectory)
                return try GatewayEvidenceRun(spec: spec, plannerKey: try SigningKey.load(path: key), connection: try database.connect(),
                                              logger: Terminal.logger)
                    .run(source: source, outDirectory: out, defaultParent: FileManager.default.currentDirectoryPath + "/remedy-plans")
            }()
            try EvidenceCommand.report(outcome, json: output.json, maxLines: maxLines)
        }
    }

    /// What evidence and `plan --gateway-evidence` print: the new plan's summary, read back as
    /// show reads it, and the gateway's verdicts.
    static func report(_ outcome: GatewayEvidenceRun.Outcome, json: Bool, maxLines: Int, unchecked: String? = nil) throws {
        let written = outcome.written
        if json {
            try Terminal.printJSON(EvidenceOutput(digest: written.digest, bundle: written.path, checkedPlan: outcome.checkedPlan, uncheckedBundle: unchecked,
                                                  totals: written.header.totals, fetched: outcome.fetched, reused: outcome.reused,
                                                  requests: outcome.requests, movedToHeld: outcome.moved,
                                                  verdicts: Dictionary(uniqueKeysWithValues: outcome.verdicts.map { ($0.key.rawValue, $0.value) })))
            return
        }
        HeapTrim.releaseFreePages()
        let streamed = try PlanBundle.readStreaming(written.path, keepingHoldsAndSettled: true, gatewayChecks: .all, logger: Terminal.logger)
        try PlanSummary(streamed: streamed, maxLines: maxLines).write { Terminal.print($0) }
        Terminal.print("")
        Terminal.print("Gateway evidence for plan \(outcome.checkedPlan.prefix(16))…: \(outcome.fetched) answer(s) fetched (\(outcome.requests) request(s)), \(outcome.reused) already in hand; \(outcome.moved) correction(s) moved to held")
        if let unchecked { Terminal.print("the unchecked plan (superseded, never approve it): \(unchecked)") }
        Terminal.print("this is a new plan: approvals of \(outcome.checkedPlan.prefix(16))… do not count for it")
        Terminal.print("")
        Terminal.print(written.path)
    }
}

struct EvidenceOutput: Encodable {
    let digest: String
    let bundle: String
    let checkedPlan: String
    let uncheckedBundle: String?
    let totals: PlanTotals
    let fetched: Int
    let reused: Int
    let requests: Int
    let movedToHeld: Int
    /// How many checks have each verdict; every check is in the bundle (`remedy show --json`).
    let verdicts: [String: Int]
}
