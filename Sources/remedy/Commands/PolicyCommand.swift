import ArgumentParser
import RemedyCore

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Standing policies: sign one, or check that one holds.",
        subcommands: [Sign.self, Check.self])

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a standing policy file (writes FILE.approvals/NAME-ROLE.json).")
        @Argument(help: "The policy file.") var file: String
        @Option(help: ArgumentHelp("Your key file.", valueName: "FILE")) var key: String
        @OptionGroup var database: DatabaseOptions

        func run() throws {
            try Terminal.run {
                let path = try StandingPolicy.load(path: file).sign(with: try SigningKey.load(path: key), connection: try database.connect())
                Terminal.print("signed; signature in \(path)")
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a policy is in force and signed by its job's quorum, for an operator.")
        @Argument(help: "The policy file.") var file: String
        @Option(help: ArgumentHelp("The operator's key file.", valueName: "FILE")) var key: String
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var jobs: JobsOptions

        func run() throws {
            try Terminal.run {
                let policy = try StandingPolicy.load(path: file)
                let spec = try JobLocator.load(job: policy.job, explicit: jobs.jobsDirectory)
                let signers = try policy.verify(for: spec, operator: try SigningKey.load(path: key).publicKey, connection: try database.connect())
                Terminal.print("policy \(policy.name) holds for \(policy.job) until \(policy.validUntil): signed by \(signers.map { "\($0.name) (\($0.role))" }.joined(separator: ", "))")
                Terminal.print("allows \(policy.classifications.map(\.rawValue).sorted().joined(separator: ", ")); at most \(policy.maxSingleAdjustment.rupiah) per user, \(policy.maxTotalPerRun.rupiah) and \(policy.maxUsers) users per run")
            }
        }
    }
}
