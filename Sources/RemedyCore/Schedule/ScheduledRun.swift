import Foundation
import Logging
import Postgres

/// `remedy run`: the nightly job as a scheduler calls it. Plans; if a standing policy is given
/// (and holds: signed by the job's quorum, in force, this very file, listing this job spec's
/// digest), applies the lines inside its limits (less what the last 24 hours already moved) as
/// their own plan; writes everything else as a plan waiting for sign-off; notifies. Holds a
/// person acknowledged with the current numbers are not new drift.
public struct ScheduledRun {
    public let spec: JobSpec
    public let parameters: JobParameters
    public let operatorKey: SigningKey
    public let policy: StandingPolicy?
    public let connection: PostgresConnection
    public let notifier: Notifier
    public let logger: Logger
    /// Apply where a batch's users cannot be found through an index (PerUserLookup).
    public let allowUnindexedRecheck: Bool
    /// Ctrl-C or SIGTERM: the automatic apply stops between batches (StopRequest), and the run
    /// then ends without writing a plan for sign-off; the next run plans again.
    public let stop: StopRequest?

    public init(spec: JobSpec, parameters: JobParameters, operatorKey: SigningKey, policy: StandingPolicy?,
                connection: PostgresConnection, notifier: Notifier, logger: Logger = .silent, allowUnindexedRecheck: Bool = false,
                stop: StopRequest? = nil) {
        self.allowUnindexedRecheck = allowUnindexedRecheck
        self.stop = stop
        self.spec = spec
        self.parameters = parameters
        self.operatorKey = operatorKey
        self.policy = policy
        self.connection = connection
        self.notifier = notifier
        self.logger = logger
    }

    public struct Outcome: Sendable {
        public let totals: PlanTotals
        public let automatic: PlanBundle?
        public let applied: ApplyReport?
        public let waiting: PlanBundle?
        /// Notifications that could not be delivered (host and status only).
        public let notificationProblems: [String]

        /// A stop was asked for while the automatic apply ran (StopRequest): the run ended after
        /// it, with no plan written for sign-off.
        public var stoppedEarly = false

        /// 0: nothing left beyond acknowledged holds; 2: a plan waits for a person. A run
        /// stopped early is reported as an interrupted apply (remedy exits 130).
        public var exitCode: Int32 { waiting == nil ? 0 : 2 }
    }

    public func run(defaultParent: String) throws -> Outcome {
        var problems: [String] = []
        func notify(_ notification: RunNotification) {
            var notification = notification
            // Best effort: a run that failed because the database went away still notifies.
            notification.signedAuditHead = try? SignedAuditHead.current(on: connection, signedBy: operatorKey)
            if let problem = notifier.send(notification) {
                problems.append(problem)
                logger.warning("notification not delivered: \(problem)", metadata: ["step": "notify", "job": "\(spec.name)"])
            }
        }
        do {
            return try runSteps(defaultParent: defaultParent, notify: notify, problems: { problems })
        } catch {
            notify(RunNotification(event: .runFailed, job: spec.name, text: "remedy \(spec.name): run FAILED: \(error)"))
            throw error
        }
    }

    private func runSteps(defaultParent: String, notify: (RunNotification) -> Void, problems: () -> [String]) throws -> Outcome {
        // A policy that does not hold stops the run before anything is read or written.
        let signers = try policy?.verify(for: spec, operator: operatorKey.publicKey, connection: connection)
        if let policy, let signers {
            logger.notice("policy \(policy.name) holds: signed by \(signers.map { "\($0.name) (\($0.role))" }.joined(separator: ", ")), valid until \(policy.validUntil)", metadata: ["step": "policy", "job": "\(spec.name)"])
        }
        // What apply would refuse is refused before anything is planned or written.
        if policy != nil, !allowUnindexedRecheck { try PerUserLookup.requireIndexed(spec, on: connection) }
        let plan = try Planner(spec: spec, parameters: parameters, plannerKey: operatorKey, connection: connection, logger: logger).makePlan()
        guard plan.totals.hasDrift else {
            logger.notice("no drift beyond \(plan.totals.acknowledgedCount) acknowledged hold(s)", metadata: ["step": "plan", "job": "\(spec.name)"])
            return Outcome(totals: plan.totals, automatic: nil, applied: nil, waiting: nil, notificationProblems: problems())
        }
        let unacknowledged = plan.holds.filter { $0.acknowledged == nil }.count
        notify(RunNotification(event: .driftFound, job: spec.name,
                               text: "remedy \(spec.name): drift found: \(plan.totals.adjustmentCount) user(s) to correct, \(unacknowledged) new hold(s)",
                               totals: plan.totals))

        // The policy's limits hold over a rolling day: what earlier runs moved counts.
        let usage = policy == nil ? PolicyUsage() : try PolicyUsage.lastDay(job: spec.name, connection: connection)
        if policy != nil, !usage.perUser.isEmpty {
            logger.notice("policy: automatic plans of \(spec.name) moved \(usage.total.rupiah) for \(usage.perUser.count) user(s) in the last 24 hours; that counts against its limits", metadata: ["step": "policy", "job": "\(spec.name)"])
        }
        let (allowed, rest) = policy?.partition(plan.adjustments, alreadyMoved: usage) ?? ([], plan.adjustments)
        var automatic: PlanBundle?
        var applied: ApplyReport?
        let recorder = PlanRecorder(connection: connection, plannerKey: operatorKey)
        if let policy, !allowed.isEmpty {
            var part = plan
            part.adjustments = allowed
            part.holds = []
            part.settled = []
            part.standingPolicy = policy.digest
            part.totals = try PlanTotals(adjustments: allowed, holds: [], settled: [], usersExamined: plan.totals.usersExamined)
            let bundle = try recorder.write(part, outDirectory: nil, defaultParent: defaultParent)
            // Read back through the one reader, like any plan a person would apply.
            let report = try Applier(spec: spec, streamed: try PlanBundle.readStreaming(bundle.path, logger: logger), connection: connection, logger: logger)
                .apply(operatorKey: operatorKey, policy: policy, allowUnindexedRecheck: allowUnindexedRecheck, stop: stop)
            automatic = bundle
            applied = report
            let notReached = report.linesNotReached > 0 ? " after \(report.counts.applied + report.counts.alreadyApplied + report.counts.skipped) line(s), \(report.linesNotReached) not reached" : ""
            // Read once: the notification and what follows agree.
            let stopAsked = stop?.isRequested == true
            let stopped = stopAsked ? "; stopped by a signal\(notReached); nothing written for sign-off: the next run plans again" : ""
            notify(RunNotification(event: .appliedAutomatically, job: spec.name,
                                   text: "remedy \(spec.name): applied \(report.counts.applied) line(s) under policy \(policy.name): taken back \(report.takenBack.rupiah), given back \(part.totals.toGiveBack.rupiah); \(report.counts.skipped) skipped\(stopped)",
                                   planDigest: bundle.digest, bundle: bundle.path, totals: part.totals))
            if stopAsked {
                var outcome = Outcome(totals: plan.totals, automatic: automatic, applied: applied, waiting: nil, notificationProblems: problems())
                outcome.stoppedEarly = true
                return outcome
            }
        }

        var waiting: PlanBundle?
        if !rest.isEmpty || unacknowledged > 0 {
            var part = plan
            part.adjustments = rest
            part.totals = try PlanTotals(adjustments: rest, holds: plan.holds, settled: plan.settled, usersExamined: plan.totals.usersExamined)
            let bundle = try recorder.write(part, outDirectory: nil, defaultParent: defaultParent)
            waiting = bundle
            notify(RunNotification(event: .planWaiting, job: spec.name,
                                   text: "remedy \(spec.name): a plan waits for sign-off: \(rest.count) line(s) outside the policy, \(unacknowledged) hold(s) to review. remedy show \(bundle.path)",
                                   planDigest: bundle.digest, bundle: bundle.path, totals: part.totals))
        }
        return Outcome(totals: plan.totals, automatic: automatic, applied: applied, waiting: waiting, notificationProblems: problems())
    }
}
