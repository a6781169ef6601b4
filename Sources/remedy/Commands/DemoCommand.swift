import ArgumentParser
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The whole pipeline on a throwaway PostgreSQL with a simulated double-credit incident.",
        discussion: """
        Starts a private PostgreSQL (server binaries from $REMEDY_PG_BIN, PATH or /usr/lib/postgresql/*/bin), \
        loads a simulated shop, then runs keygen, init, plan, two approvals, apply, verify, \
        audit verify and export, printing each step. Everything is removed at the end, also on \
        Ctrl-C (the exports too, unless --keep-exports names a directory to copy them to). \
        With --json the steps are printed on stderr and stdout carries one JSON document at the end \
        (users, seed, where the exports were kept).
        """)

    @Option(help: "Users in the simulated shop.") var users = 2_000
    @Option(help: "Simulation seed.") var seed: UInt64 = 1
    @Option(help: "Lines shown per section of the plan summary.") var maxLines = 12
    @Option(help: ArgumentHelp("Copy the demo's exports (HTML report, CSVs, JSON, notices) here before cleaning up.", valueName: "DIR"),
            completion: .directory)
    var keepExports: String?
    @OptionGroup var jobs: JobsOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run {
            let script = DemoScript(users: users, seed: seed, maxLines: maxLines, keepExports: keepExports, jobsDirectory: jobs.jobsDirectory)
            guard output.json else { return try script.run() }
            // The demo is a walk-through for people: under --json its steps go to stderr, and
            // stdout gets only the closing document.
            try DemoCommand.withStandardOutputOnStandardError { try script.run() }
            try Terminal.printJSON(DemoOutput(completed: true, users: users, seed: seed, keptExports: keepExports))
        }
    }
}

extension DemoCommand {
    /// Runs `body` with file descriptor 1 pointing at stderr, then puts stdout back (also when it throws).
    static func withStandardOutputOnStandardError(_ body: () throws -> Void) rethrows {
        fflush(nil)
        let saved = dup(STDOUT_FILENO)
        dup2(STDERR_FILENO, STDOUT_FILENO)
        defer {
            fflush(nil)
            dup2(saved, STDOUT_FILENO)
            close(saved)
        }
        try body()
    }
}

struct DemoOutput: Encodable {
    let completed: Bool
    let users: Int
    let seed: UInt64
    let keptExports: String?
}
