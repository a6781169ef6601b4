import Foundation
import Postgres
import RemedyCore
import ShopSimulator
import TestSupport

/// A simulated shop in a fresh database, prepared the way an operator would with the real binary:
/// keys made by `remedy keygen`, an approvers file, `remedy init`. The people: andi (engineering)
/// plans and operates, sari (finance) and budi (engineering) approve, eve (finance) made a key
/// but is not in the approvers file.
final class EndToEndShop {
    struct Person {
        let name: String
        let role: String
        let trusted: Bool
        /// The key file's base name (a person may hold more than one key).
        let file: String

        init(_ name: String, _ role: String, trusted: Bool = true, file: String? = nil) {
            self.name = name
            self.role = role
            self.trusted = trusted
            self.file = file ?? name
        }
    }

    static let defaultPeople = [Person("andi", "engineering"), Person("sari", "finance"), Person("budi", "engineering"),
                                Person("eve", "finance", trusted: false)]

    let database: TestDatabase
    private(set) var connection: PostgresConnection
    /// Keys, the approvers file and plan bundles live here; removed with the shop.
    let directory: String
    let options: SimulationOptions
    /// The jobs directory every command of this shop is given.
    var jobs: String
    /// What remedy is given as `--database-url`: the database itself, or a pooler in front of it.
    lazy var remedyDatabaseURL: String = database.url

    /// `database`: where the shop goes (a fresh one in the shared cluster unless given, e.g. on TestReplica's primary).
    init(users: Int, seed: UInt64, jobs: String = RemedyProcess.jobsDirectory, people: [Person] = EndToEndShop.defaultPeople,
         initialize: Bool = true, variant: TriggerVariant = .guarded, schema: SchemaVariant = SchemaVariant(),
         signedCallbacks: SignedCallbacks? = nil, database: TestDatabase? = nil) throws {
        self.database = try database ?? TestDatabase.make()
        connection = try self.database.connect()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var options = SimulationOptions(seed: seed, userCount: users, triggerVariant: variant)
        options.schemaVariant = schema
        options.signedCallbacks = signedCallbacks
        self.options = options
        self.jobs = jobs
        _ = try ShopSimulator.load(options, into: connection)

        var entries: [String] = []
        for person in people {
            let made = try RemedyProcess.run(["keygen", "--name", person.name, "--role", person.role, "--out", key(person.file)]).requireSuccess()
            if person.trusted { entries.append(made.stdout.trimmingCharacters(in: .newlines)) }
        }
        try ("approvers:\n" + entries.joined(separator: "\n") + "\n").write(toFile: approversFile, atomically: true, encoding: .utf8)
        if initialize { try remedy(["init", "--approvers", approversFile]).requireSuccess() }
    }

    deinit {
        connection.close()
        try? database.drop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var approversFile: String { "\(directory)/approvers.yaml" }

    /// Runs `body` with this shop's own connection closed (copying a database needs it to have
    /// no sessions), then connects again.
    func withoutConnection<T>(_ body: () throws -> T) throws -> T {
        connection.close()
        defer { if let reconnected = try? database.connect() { connection = reconnected } }
        return try body()
    }

    func key(_ file: String) -> String { "\(directory)/\(file).key" }

    /// A standing policy for balance-drift, written and signed with the real binary by sari and
    /// budi, in force from 2025 to 2099.
    func signedPolicy(specDigests: [String], classifications: [String] = ["purchase_deduction"], maxUsers: Int = 100) throws -> String {
        let path = "\(directory)/policy-\(UUID().uuidString.prefix(6)).yaml"
        try """
        policy: nightly-drift
        job: balance-drift
        job_spec_digests: [\(specDigests.joined(separator: ", "))]
        classifications: [\(classifications.joined(separator: ", "))]
        max_single_adjustment: "5000000.00"
        max_total_per_run: "50000000.00"
        max_users: \(maxUsers)
        valid_from: 2025-01-01T00:00:00+07:00
        valid_until: 2099-01-01T00:00:00+07:00

        """.write(toFile: path, atomically: true, encoding: .utf8)
        for name in ["sari", "budi"] { try remedy(["policy", "sign", path, "--key", key(name)]).requireSuccess() }
        return path
    }

    /// The bug window the simulator used, as `--param` values.
    var windowParameters: [String] {
        ["--param", "since=\(Timestamp(date: options.bugWindowStart))", "--param", "until=\(Timestamp(date: options.bugWindowEnd))"]
    }

    /// Runs remedy against this shop's database.
    @discardableResult
    func remedy(_ arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
                rawLastArgument: [UInt8]? = nil) throws -> RemedyRun {
        try RemedyProcess.run(arguments + ["--database-url", remedyDatabaseURL], environment: environment,
                              workingDirectory: workingDirectory, rawLastArgument: rawLastArgument)
    }

    /// `remedy plan` by andi into a new bundle directory; returns the bundle path.
    func plan(by planner: String = "andi") throws -> String {
        let out = "\(directory)/plan-\(UUID().uuidString.prefix(8))"
        let run = try remedy(["plan", "tripay-double-credit"] + windowParameters + ["--key", key(planner), "--out", out, "--jobs", jobs])
            .requireSuccess()
        guard run.stdoutLines.last == out else { throw RemedyProcess.Failure(description: "plan did not end with its bundle path: \(run)") }
        return out
    }

    func approve(_ bundle: String, by names: [String] = ["sari", "budi"]) throws {
        for name in names { try remedy(["approve", bundle, "--key", key(name)]).requireSuccess() }
    }

    func apply(_ bundle: String, by name: String = "andi", connections: Int = 1, environment: [String: String] = [:], json: Bool = false) throws -> RemedyRun {
        try remedy(["apply", bundle, "--key", key(name), "--jobs", jobs, "--connections", String(connections)] + (json ? ["--json"] : []), environment: environment)
    }

    /// Waits until the server has ended every session remedy opened on this database (a killed
    /// runner's backend ends once it notices the closed socket, committing a COMMIT already sent
    /// or rolling back), so what the test reads next is what the dead run left.
    func waitForRemedySessionsToEnd(timeoutSeconds: Double = 30) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while try connection.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'remedy'")[0]
            .decode(0, as: Int.self) > 0 {
            guard Date() < deadline else { throw RemedyProcess.Failure(description: "a dead remedy's session is still open after \(timeoutSeconds) s") }
            usleep(10_000)
        }
    }

    /// user id → balance, as exact text.
    func balances() throws -> [String: String] {
        var balances: [String: String] = [:]
        for row in try connection.query("SELECT id::text, balance::text FROM users") {
            balances[try row.decode(0, as: String.self)] = try row.decode(1, as: String.self)
        }
        return balances
    }

    func count(_ table: String) throws -> Int {
        try connection.query("SELECT count(*) FROM \(table)")[0].decode(0, as: Int.self)
    }

    /// The plan as written in the bundle (read with remedy's own reader, which checks the digest).
    func readPlan(_ bundle: String) throws -> Plan {
        try PlanBundle.read(bundle).plan
    }
}

extension RemedyRun {
    /// This run, if it exited 0; else a failure that shows everything it printed.
    @discardableResult
    func requireSuccess() throws -> RemedyRun {
        guard exitedZero else { throw RemedyProcess.Failure(description: "expected exit 0: \(self)") }
        return self
    }
}

/// What a refused command must leave exactly as it was: every balance, the shop's and remedy's
/// tables and their row counts.
struct DatabaseFingerprint: Equatable {
    var balances: [String: String]
    var rowCounts: [String: Int]

    static func take(_ shop: EndToEndShop) throws -> DatabaseFingerprint {
        try take(shop.connection)
    }

    static func take(_ connection: PostgresConnection) throws -> DatabaseFingerprint {
        let tables = try connection.query("""
            SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables
             WHERE table_schema IN ('public', 'remedy') AND table_type = 'BASE TABLE' ORDER BY 1
            """).map { try $0.decode(0, as: String.self) }
        var counts: [String: Int] = [:]
        for table in tables { counts[table] = try connection.query("SELECT count(*) FROM \(table)")[0].decode(0, as: Int.self) }
        var balances: [String: String] = [:]
        for row in try connection.query("SELECT id::text, balance::text FROM users") {
            balances[try row.decode(0, as: String.self)] = try row.decode(1, as: String.self)
        }
        return DatabaseFingerprint(balances: balances, rowCounts: counts)
    }

    /// What differs, one line per difference, for a failure message.
    func differences(from before: DatabaseFingerprint) -> [String] {
        var lines: [String] = []
        for table in Set(before.rowCounts.keys).union(rowCounts.keys).sorted() where before.rowCounts[table] != rowCounts[table] {
            lines.append("\(table): \(before.rowCounts[table].map(String.init) ?? "absent") rows → \(rowCounts[table].map(String.init) ?? "absent")")
        }
        for user in Set(before.balances.keys).union(balances.keys).sorted() where before.balances[user] != balances[user] {
            lines.append("balance of \(user): \(before.balances[user] ?? "absent") → \(balances[user] ?? "absent")")
        }
        return lines
    }
}

/// A copy of the repository's jobs directory with one job's job.yaml edited (tripay-double-credit's
/// unless named; its spec digest then differs from the repository's: plan and apply must both be
/// given the copy).
final class JobsDirectoryCopy {
    let path: String

    init(job: String = "tripay-double-credit", editingJobYAML edit: (Data) throws -> Data) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-jobs-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: RemedyProcess.jobsDirectory, toPath: path)
        let yamlURL = URL(fileURLWithPath: path + "/\(job)/job.yaml")
        let yaml = try Data(contentsOf: yamlURL)
        let edited = try edit(yaml)
        guard edited != yaml else { throw RemedyProcess.Failure(description: "the edit did not change job.yaml; has the file changed?") }
        try edited.write(to: yamlURL)
    }

    /// A textual edit: replaces `text` (which must occur) with `replacement`.
    convenience init(replacing text: String, with replacement: String) throws {
        try self.init { Data(String(decoding: $0, as: UTF8.self).replacingOccurrences(of: text, with: replacement).utf8) }
    }

    /// Textual edits, each of whose `from` must occur in job.yaml (a test must not pass because a
    /// line it meant to change was renamed).
    convenience init(replacingEach edits: [(from: String, to: String)]) throws {
        try self.init { yaml in
            var text = String(decoding: yaml, as: UTF8.self)
            for (from, to) in edits {
                guard text.contains(from) else { throw RemedyProcess.Failure(description: "job.yaml no longer has \"\(from)\"") }
                text = text.replacingOccurrences(of: from, with: to)
            }
            return Data(text.utf8)
        }
    }

    /// The job applying in batches of `batchSize`.
    convenience init(job: String = "tripay-double-credit", batchSize: Int) throws {
        try self.init(job: job) { yaml in
            Data(String(decoding: yaml, as: UTF8.self).replacingOccurrences(of: "  batch_size: 100", with: "  batch_size: \(batchSize)").utf8)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
