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

/// A read replica for the commands that only read: plan's snapshot, check, `verify --read-only`,
/// export. What remedy writes and whom it trusts stay on --database-url. Never printed: a URL may
/// hold a password.
struct ReadReplicaOptions: ParsableArguments {
    @Option(name: .customLong("read-url"), help: ArgumentHelp(
        "A read replica (hot standby) of --database-url's database to take the reads from, as a postgres:// URL or key=value conninfo (default: REMEDY_READ_URL). Writes still go to --database-url.", valueName: "URL"))
    var readURL: String?

    /// The replica's URL: --read-url, else REMEDY_READ_URL (empty counts as unset); nil for none.
    var url: String? {
        readURL ?? ProcessInfo.processInfo.environment["REMEDY_READ_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Where the URL came from, for messages (never the URL itself).
    var source: String { readURL != nil ? "--read-url" : "REMEDY_READ_URL" }

    func validate() throws {
        // An empty conninfo would be libpq's environment: most likely the primary itself.
        if readURL?.isEmpty == true { throw ValidationError("--read-url is empty: give the replica's URL, or leave --read-url out to read the primary") }
    }

    /// Connects to the replica and confirms it is a standby of `primary`'s database; nil when none is given.
    func connect(confirmingWith primary: PostgresConnection) throws -> ReadReplica? {
        guard let url else { return nil }
        let connection: PostgresConnection
        do {
            connection = try PostgresConnection.connect(url: url, applicationName: "remedy", logger: Terminal.libraryLogger)
        } catch let error as PostgresError where error.kind == .connection {
            throw RemedyError(.io, "cannot connect to the read replica given by \(source): \(error.message); check \(source), or leave it out to read the primary")
        }
        return try ReadReplica.confirm(connection, primary: primary)
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
