import ArgumentParser
import Foundation
import Logging
import Postgres
import RemedyCore

/// Where the database is. Never printed: a URL may hold a password.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: ArgumentHelp(
        "postgres:// URL or key=value conninfo (default: DATABASE_URL, else libpq's PG* environment).", valueName: "URL"))
    var databaseURL: String?

    /// Where a database would come from, or nil when nothing names one (for commands where the
    /// database is optional). Names the source, never the URL: it may hold a password.
    var configuredSource: String? {
        if databaseURL != nil { return "--database-url" }
        let environment = ProcessInfo.processInfo.environment
        if environment["DATABASE_URL"] != nil { return "DATABASE_URL" }
        let libpq = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"].filter { environment[$0] != nil }
        return libpq.isEmpty ? nil : libpq.joined(separator: ", ")
    }

    func connect() throws -> PostgresConnection {
        let url = databaseURL ?? ProcessInfo.processInfo.environment["DATABASE_URL"]
        return try PostgresConnection.connect(url: url, applicationName: "remedy", logger: Terminal.libraryLogger)
    }
}

struct JobsOptions: ParsableArguments {
    @Option(name: .customLong("jobs"), help: ArgumentHelp("Directory of job specs (default, first found: $REMEDY_JOBS_DIR, ./jobs, ../share/remedy/jobs beside the executable, jobs in the checkout it was built in).", valueName: "DIR"), completion: .directory)
    var jobsDirectory: String?
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .customLong("json"), help: "Print machine-readable JSON (exact amounts as strings) instead of text.")
    var json = false
}
