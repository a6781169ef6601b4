/// What `remedy check` found about a job on one database: every finding with its severity, in
/// the order the checks ran. `remedy plan` records the warnings in plan.json and refuses on an error.
public struct CheckReport: Codable, Sendable {
    public var job: String
    public var database: String
    public var role: String
    public var findings: [CheckFinding]
    /// The stored callbacks' verification, where the spec maps their signatures and the body can
    /// be verified: plan holds the corrections resting on a failed one. (Its findings say the same
    /// for people and machines; this is not encoded.)
    public var callbackSignatures: CallbackSignatures?
    /// Where the check read when given a read replica (`--read-url`); absent otherwise.
    public var readReplica: ReadReplicaPosition? = nil

    enum CodingKeys: String, CodingKey { case job, database, role, findings, readReplica }

    public init(job: String, database: String, role: String, findings: [CheckFinding]) {
        self.job = job
        self.database = database
        self.role = role
        self.findings = findings
    }

    public enum Verdict: String, Codable, Sendable {
        /// Nothing to confirm: fit to plan.
        case fit
        /// The job can run, but a person should confirm something first.
        case warnings
        /// The job cannot run on this database as it is mapped.
        case cannotRun = "cannot_run"
    }

    public var verdict: Verdict {
        if findings.contains(where: { $0.severity == .error }) { return .cannotRun }
        if findings.contains(where: { $0.severity == .warning }) { return .warnings }
        return .fit
    }

    /// 0 fit to plan, 2 warnings, 1 the job cannot run here.
    public var exitCode: Int32 {
        switch verdict {
        case .fit: 0
        case .warnings: 2
        case .cannotRun: 1
        }
    }

    public var errors: [CheckFinding] { findings.filter { $0.severity == .error } }
    public var warnings: [CheckFinding] { findings.filter { $0.severity == .warning } }
}

public struct CheckFinding: Codable, Sendable, Equatable {
    public enum Severity: String, Codable, Sendable {
        case ok, info, warning, error
    }

    /// What was looked at: `access` (tables, columns, privileges), `nulls`, `ledger`, `window`,
    /// `times` (paid_at against the callback's), `amount_received`, `callbacks`, `triggers`,
    /// `balance`, `indexes`.
    public var topic: String
    public var severity: Severity
    /// One sentence for a person, amounts in rupiah as Indonesians write them.
    public var message: String
    /// The exact numbers behind the message, for machines (amounts as exact decimal strings).
    public var facts: [String: String]

    public init(_ topic: String, _ severity: Severity, _ message: String, facts: [String: String] = [:]) {
        self.topic = topic
        self.severity = severity
        self.message = message
        self.facts = facts
    }
}
