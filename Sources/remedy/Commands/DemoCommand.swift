import ArgumentParser

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole pipeline on a throwaway PostgreSQL with a simulated double-credit incident.",
        discussion: """
        Starts a private PostgreSQL (server binaries from $REMEDY_PG_BIN, PATH or /usr/lib/postgresql/*/bin), \
        loads a simulated shop, then runs keygen, init, plan, two approvals, apply, verify, \
        audit verify and export, printing each step. Everything is removed at the end, also on \
        Ctrl-C (the exports too, unless --keep-exports names a directory to copy them to).
        """)

    @Option(help: "Users in the simulated shop.") var users = 2_000
    @Option(help: "Simulation seed.") var seed: UInt64 = 1
    @Option(help: "Lines shown per section of the plan summary.") var maxLines = 12
    @Option(help: ArgumentHelp("Copy the demo's exports (HTML report, CSVs, JSON, notices) here before cleaning up.", valueName: "DIR"))
    var keepExports: String?
    @OptionGroup var jobs: JobsOptions

    func run() throws {
        try Terminal.run {
            try DemoScript(users: users, seed: seed, maxLines: maxLines, keepExports: keepExports, jobsDirectory: jobs.jobsDirectory).run()
        }
    }
}
