import ArgumentParser
import RemedyCore
import Rupiah

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Standing policies: the job spec digest to list in one, sign one, or check that one holds.",
        subcommands: [SpecDigest.self, Sign.self, Check.self])

    struct SpecDigest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "spec-digest",
            abstract: "Print a job's spec digest (job.yaml and its SQL, as on disk): what a policy's job_spec_digests lists.")
        @Argument(help: "The job, e.g. balance-drift.", completion: Completion.job) var job: String
        @OptionGroup var jobs: JobsOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try Terminal.run {
                let spec = try JobLocator.load(job: job, explicit: jobs.jobsDirectory)
                if output.json { try Terminal.printJSON(["job": spec.name, "directory": spec.directory, "digest": spec.digest]); return }
                Terminal.print(spec.digest)
            }
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a standing policy file (writes FILE.approvals/NAME-ROLE.json).")
        @Argument(help: "The policy file.", completion: Completion.yaml) var file: String
        @Option(help: ArgumentHelp("Your key file.", valueName: "FILE"), completion: Completion.key) var key: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try Terminal.run {
                let path = try StandingPolicy.load(path: file).sign(with: try SigningKey.load(path: key), connection: try database.connect())
                if output.json { try Terminal.printJSON(["signature": path]); return }
                Terminal.print("signed; signature in \(path)")
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a policy is in force, allows the job spec on disk and is signed by its job's quorum, for an operator.",
            discussion: "A refusal because of the job spec names the digest of the spec on disk: that is the value job_spec_digests must list once the new spec is reviewed.")
        @Argument(help: "The policy file.", completion: Completion.yaml) var file: String
        @Option(help: ArgumentHelp("The operator's key file.", valueName: "FILE"), completion: Completion.key) var key: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var jobs: JobsOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try Terminal.run {
                let policy = try StandingPolicy.load(path: file)
                let spec = try JobLocator.load(job: policy.job, explicit: jobs.jobsDirectory)
                let signers = try policy.verify(for: spec, operator: try SigningKey.load(path: key).publicKey, connection: try database.connect())
                if output.json {
                    try Terminal.printJSON(PolicyCheckOutput(
                        policy: policy.name, job: policy.job, validUntil: "\(policy.validUntil)", signers: signers,
                        classifications: policy.classifications.map(\.rawValue).sorted(), maxSingleAdjustment: policy.maxSingleAdjustment,
                        maxTotalPerRun: policy.maxTotalPerRun, maxUsers: policy.maxUsers, jobSpecDirectory: spec.directory, jobSpecDigest: spec.digest))
                    return
                }
                Terminal.print("policy \(policy.name) holds for \(policy.job) until \(policy.validUntil): signed by \(signers.map { "\($0.name) (\($0.role))" }.joined(separator: ", "))")
                Terminal.print("allows \(policy.classifications.map(\.rawValue).sorted().joined(separator: ", ")); at most \(policy.maxSingleAdjustment.rupiah) per user, \(policy.maxTotalPerRun.rupiah) and \(policy.maxUsers) users in any 24 hours")
                Terminal.print("job spec \(spec.directory): digest \(spec.digest) (listed in job_spec_digests)")
            }
        }
    }
}

struct PolicyCheckOutput: Encodable {
    let policy: String
    let job: String
    let validUntil: String
    let signers: [Approver]
    let classifications: [String]
    /// Limits over any 24 hours, as the text output states them.
    let maxSingleAdjustment: Money
    let maxTotalPerRun: Money
    let maxUsers: Int
    let jobSpecDirectory: String
    let jobSpecDigest: String
}
