import ArgumentParser
import RemedyCore

struct LeaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lease", abstract: "The lease that lets one runner at a time apply a job.", subcommands: [Break.self])

    struct Break: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "break",
            abstract: "Remove a job's lease left by a runner that died elsewhere, on the record.",
            discussion: """
            apply takes over a dead runner's lease by itself only when that runner was in this very \
            pid namespace (same kernel boot, same container); a runner that died on another host or \
            in another container keeps the job until its lease expires (apply.lease_seconds). This \
            removes the lease at once and writes a lease.broken audit row naming you. An unexpired \
            lease needs --force: if its runner is in fact alive it stops at its next batch (a batch \
            in flight finishes first; nothing is applied twice either way).
            """)

        @Argument(help: "The job whose lease to break, e.g. tripay-double-credit.", completion: Completion.job) var job: String
        @Option(help: ArgumentHelp("Your key file (a trusted approver); the audit row names you.", valueName: "FILE"), completion: Completion.key) var key: String
        @Flag(help: "Break the lease even though it has not expired.") var force = false
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            try Terminal.run {
                let signingKey = try SigningKey.load(path: key)
                let broken = try Lease.breakLease(job: job, key: signingKey, force: force, connection: try database.connect())
                if output.json { try Terminal.printJSON(LeaseBreakOutput(broken: broken, brokenBy: signingKey.name)); return }
                Terminal.print("broke the lease on job \(broken.job): held by pid \(broken.pid) on \(broken.host) since \(broken.acquiredAt), until \(broken.expiresAt) (\(broken.wasExpired ? "expired" : "unexpired, --force")); recorded in the audit log as lease.broken by \(signingKey.name)")
            }
        }
    }
}

struct LeaseBreakOutput: Encodable {
    let broken: Lease.Broken
    /// Whose key broke it (the lease.broken audit row names them).
    let brokenBy: String
}
