import Foundation
import Postgres
import RemedyCore
import Rupiah
import ShopSimulator
import TestSupport
import Testing

/// A simulated shop in a fresh database, remedy initialized, and the people of a sign-off:
/// andi (engineering) plans and applies, sari (finance) and budi (engineering) approve, eve is
/// not trusted.
final class PipelineHarness {
    let database: TestDatabase
    let connection: PostgresConnection
    let directory: String
    let spec: JobSpec
    let options: SimulationOptions
    let keys: [String: SigningKey]

    static var jobsDirectory: String {
        repositoryRoot.appendingPathComponent("jobs").path
    }

    init(users: Int = 300, seed: UInt64 = 7, variant: TriggerVariant = .guarded, specDirectory: String? = nil, job: String = "tripay-double-credit",
         coincidenceStories: Bool = false) throws {
        // What cannot leave anything behind comes first (a refused spec is a test's own case);
        // from the database on, every stored property is set before the next step can fail, so
        // deinit drops the database and removes the directory whatever fails after.
        spec = try JobSpec.load(directory: specDirectory ?? PipelineHarness.jobsDirectory + "/" + job)
        var options = SimulationOptions(seed: seed, userCount: users, triggerVariant: variant)
        options.coincidenceStories = coincidenceStories
        self.options = options
        let people = [("andi", "engineering"), ("sari", "finance"), ("budi", "engineering"), ("eve", "finance")]
        var keys: [String: SigningKey] = [:]
        for (name, role) in people { keys[name] = try SigningKey.generate(name: name, role: role) }
        self.keys = keys
        directory = NSTemporaryDirectory() + "remedy-test-" + UUID().uuidString
        database = try TestDatabase.make()
        do {
            connection = try database.connect()
        } catch {
            try? database.drop()
            throw error
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try ShopSimulator.load(options, into: connection)
        var entries: [String] = []
        for (name, role) in people {
            try keys[name]!.write(to: "\(directory)/\(name).key")
            if name != "eve" { entries.append(Approver(name: name, role: role, publicKey: keys[name]!.publicKey).yamlEntry) }
        }
        try Data(("approvers:\n" + entries.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: approversFile))
        _ = try RemedyStore(connection: connection).initialize(approvers: try ApproverFile.load(path: approversFile))
    }

    deinit {
        connection.close()
        try? database.drop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var approversFile: String { "\(directory)/approvers.yaml" }

    var parameters: JobParameters {
        get throws {
            try JobParameters.resolve(["since=\(Timestamp(date: options.bugWindowStart))", "until=\(Timestamp(date: options.bugWindowEnd))"], for: spec)
        }
    }

    func plan(by planner: String = "andi", spec: JobSpec? = nil, out: String? = nil) throws -> PlanBundle {
        let spec = spec ?? self.spec
        return try Planner(spec: spec, parameters: try parameters, plannerKey: keys[planner]!, connection: connection)
            .plan(outDirectory: out ?? "\(directory)/plan-\(UUID().uuidString.prefix(8))", defaultParent: directory)
    }

    func approve(_ bundle: PlanBundle, by names: [String] = ["sari", "budi"]) throws {
        for name in names { _ = try PlanSignOff(bundle: bundle, connection: connection).approve(with: keys[name]!) }
    }

    func apply(_ bundle: PlanBundle, by name: String = "andi") throws -> ApplyReport {
        try Applier(spec: spec, bundle: try PlanBundle.read(bundle.path), connection: connection).apply(operatorKey: keys[name]!)
    }

    /// Plan, approve by the default quorum, apply.
    func runPipeline() throws -> (PlanBundle, ApplyReport) {
        let bundle = try plan()
        try approve(bundle)
        return (bundle, try apply(bundle))
    }

    /// Two runs of one approved plan: the first finds one user corrected by hand in between
    /// (stale) and applies the rest; the hand correction is undone, and the second applies that
    /// line and finds the rest booked.
    func twoRunsWithAStaleLine() throws -> (bundle: PlanBundle, handCorrected: AdjustmentLine, first: ApplyReport, second: ApplyReport) {
        let bundle = try plan()
        try approve(bundle)
        let handCorrected = try #require(bundle.plan.adjustments.first)
        try connection.execute("UPDATE users SET balance = balance + $2::numeric WHERE id = $1::uuid", [handCorrected.userId, handCorrected.delta])
        let first = try apply(bundle)
        try connection.execute("UPDATE users SET balance = balance - $2::numeric WHERE id = $1::uuid", [handCorrected.userId, handCorrected.delta])
        return (bundle, handCorrected, first, try apply(bundle))
    }

    struct Truth { let category: String; let bugExcess: Money; let otherDrift: Money; let username: String; var note: String? = nil }

    func truth() throws -> [String: Truth] {
        var truth: [String: Truth] = [:]
        for row in try connection.query("SELECT user_id::text, category, bug_excess::text, other_drift::text, username, note FROM simulator.truth") {
            truth[try row.decode(0)] = Truth(category: try row.decode(1), bugExcess: try row.decode(2), otherDrift: try row.decode(3), username: try row.decode(4),
                                             note: try row.decode(5, as: String?.self))
        }
        return truth
    }

    /// user id → (balance, ledger) as the shop's books say now.
    func books() throws -> [String: (balance: Money, ledger: Money)] {
        var books: [String: (Money, Money)] = [:]
        let sql = """
        SELECT u.id::text, u.balance::text, COALESCE(sum(CASE WHEN t.transaction_type IN ('topup','refund') THEN t.amount
                                                          WHEN t.transaction_type = 'purchase' THEN -t.amount END)
                                                 FILTER (WHERE t.status = 'completed'), 0)::text
          FROM users u LEFT JOIN transactions t ON t.user_id = u.id GROUP BY u.id
        """
        for row in try connection.query(sql) { books[try row.decode(0)] = (try row.decode(1), try row.decode(2)) }
        return books
    }

    func userId(_ username: String) throws -> String {
        try connection.query("SELECT id::text FROM users WHERE username = $1", [username])[0].decode(0)
    }
}
