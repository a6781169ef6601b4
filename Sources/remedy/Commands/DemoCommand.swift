import ArgumentParser

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole pipeline on a throwaway PostgreSQL with a simulated double-credit incident.",
        discussion: """
        Starts a private PostgreSQL (server binaries from $REMEDY_PG_BIN, PATH or /usr/lib/postgresql/*/bin),
        loads a simulated shop, then runs keygen, init, plan, two approvals, apply, verify and
        audit verify, printing each step. Everything is removed at the end, also on Ctrl-C.
        """)

    @Option(help: "Users in the simulated shop.") var users = 2_000
    @Option(help: "Simulation seed.") var seed: UInt64 = 1
    @Option(help: "Lines shown per section of the plan summary.") var maxLines = 12
    @OptionGroup var jobs: JobsOptions

    func run() throws {
        try Terminal.run {
            try DemoScript(users: users, seed: seed, maxLines: maxLines, jobsDirectory: jobs.jobsDirectory).run()
        }
    }
}
