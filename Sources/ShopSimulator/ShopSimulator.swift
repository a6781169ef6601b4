import Foundation
import Postgres
import Rupiah

/// The incident simulator: builds the shop (deployment-shaped schema, the balance trigger) and
/// replays a deterministic history through real SQL, writing its own ground truth.
///
/// How a load runs:
/// 1. `UserGenerator` makes each user's history from a PRNG stream of its own (seed, member
///    number): a `HistoryScript` of time-ordered steps (ordinary activity plus the category's
///    story) run against a `ShopBook`, the Swift model of that user's rows, balance and ledger,
///    which also books every change of `balance − ledger` as bug excess or other drift.
/// 2. `Stager` streams users (chunks of 5.000, generated on a second thread) with COPY into
///    unlogged staging tables; each user's n-th event gets round n.
/// 3. `Replayer` runs round after round: a few set-based statements per event kind (insert
///    rows, the callback's update, the buggy handler's read and later write, status changes,
///    hand corrections, direct adjustments). The balance trigger does the crediting; every
///    statement must change exactly the rows the generator counted.
/// 4. The truth goes into `simulator.truth`; constraints, indexes and statistics are added.
///
/// The SQL is in `Sources/ShopSimulator/SQL/`.
public enum ShopSimulator {
    /// Creates the shop schema (tables, constraints, triggers) and the `simulator` schema holding
    /// the truth, then replays the history. Progress lines go to `progress` (the CLI prints them
    /// on stderr). The database must not have the shop's tables yet.
    public static func load(_ options: SimulationOptions, into connection: PostgresConnection,
                            progress: (String) -> Void = { _ in }) throws -> SimulationSummary {
        let started = ContinuousClock.now
        let plan = try LoadPlan(options)
        try options.schemaVariant.validate()
        try options.signedCallbacks?.validate()
        let existing = try connection.query(ShopSchemaSQL.existingTables)
        if let count = try existing.first?.decode(0, as: Int.self), count > 0 {
            throw ShopSimulatorError.schemaExists
        }

        try connection.executeScript(FinishSQL.loadSettings)
        defer { try? connection.executeScript(FinishSQL.resetSettings) }

        try connection.transaction {
            try connection.executeScript(ShopSchemaSQL.tables)
            try connection.executeScript(BalanceTriggerSQL.function(options.triggerVariant))
            try connection.executeScript(BalanceTriggerSQL.trigger)
            try connection.executeScript(FinishSQL.roomForUpdates)
            try connection.executeScript(SimulatorSchemaSQL.create)
            try connection.executeScript(StagingSQL.create)
            try connection.executeScript(StagingSQL.partitions(rounds: StagingLimits.maximumRounds))
        }
        progress("schema created (\(options.triggerVariant.rawValue) balance trigger); generating \(plan.totalUsers) users")

        let staged = try Stager(plan: plan).stage(into: connection, progress: progress)
        try connection.executeScript(StagingSQL.analyze)
        try Replayer(connection: connection, counts: staged.rounds).replay(progress: progress)

        var finishing = ContinuousClock.now
        func finished(_ step: String) {
            progress("\(step) in \(milliseconds(since: finishing)) ms")
            finishing = ContinuousClock.now
        }
        try connection.transaction {
            try connection.execute(FinishSQL.insertTruth)
            try connection.executeScript(FinishSQL.restoreUpdatedAt)
        }
        finished("truth written, users' updated_at restored")
        try connection.executeScript(FinishSQL.resetRoomForUpdates)
        try connection.executeScript(ShopIndexesSQL.afterLoad)
        finished("unique Tripay reference, foreign key and user_id index added")
        try connection.executeScript(StagingSQL.drop)
        try connection.execute(SimulatorSchemaSQL.recordRun, [
            String(options.seed), plan.totalUsers, options.triggerVariant.rawValue,
            options.bugWindowStart, options.bugWindowEnd, plan.goldenCases.count > 0,
        ])
        try connection.executeScript(FinishSQL.analyze)
        finished("staging dropped, statistics gathered")
        if let signed = options.signedCallbacks {
            try signed.apply(on: connection)
            finished("raw callbacks stored and signed (\(signed.forged) forged, \(signed.altered) altered, \(signed.unsigned) unsigned)")
        }
        if !options.schemaVariant.isDefault {
            try options.schemaVariant.apply(on: connection, triggerVariant: options.triggerVariant)
            finished("schema reshaped: \(options.schemaVariant)")
        }

        let elapsed = milliseconds(since: started)
        progress("loaded \(staged.userCount) users and \(staged.transactionCount) transactions in \(elapsed) ms")
        return SimulationSummary(userCount: staged.userCount, transactionCount: staged.transactionCount,
                                 usersPerCategory: staged.usersPerCategory, totalBugExcess: staged.totalBugExcess,
                                 totalOtherDrift: staged.totalOtherDrift, elapsedMilliseconds: elapsed)
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}

public enum ShopSimulatorError: Error, CustomStringConvertible, Sendable {
    case invalidOptions(String)
    case schemaExists
    case replayMismatch(round: Int, step: String, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .invalidOptions(let reason): "invalid simulation options: \(reason)"
        case .schemaExists: "the database already has shop or simulator tables; load the simulator into an empty database"
        case .replayMismatch(let round, let step, let expected, let actual):
            "replay round \(round), \(step): expected \(expected) rows, the database changed \(actual)"
        }
    }
}

/// What a load will generate: the member numbers, the golden cases, the window.
struct LoadPlan: Sendable {
    let generator: UserGenerator
    let memberCount: Int
    let goldenCases: [GoldenCase]
    var totalUsers: Int { memberCount + goldenCases.count }

    init(_ options: SimulationOptions) throws {
        guard options.userCount >= 0 else { throw ShopSimulatorError.invalidOptions("userCount must not be negative") }
        guard options.userCount <= 1_500_000 else {
            throw ShopSimulatorError.invalidOptions("userCount above 1.500.000 would overflow the 8-digit Tripay reference numbers")
        }
        let start = Int64(options.bugWindowStart.timeIntervalSince1970.rounded(.down))
        let end = Int64(options.bugWindowEnd.timeIntervalSince1970.rounded(.down))
        guard end - start >= SimulatedClock.hour else {
            throw ShopSimulatorError.invalidOptions("the bug window must be at least an hour long (start < end)")
        }
        guard start > SimulatedClock.epoch(2025, 1, 1), end < SimulatedClock.epoch(2026, 6, 1) else {
            throw ShopSimulatorError.invalidOptions("the bug window must lie between 2025-01-01 and 2026-06-01")
        }
        generator = UserGenerator(seed: options.seed, variant: options.triggerVariant, window: BugWindow(start: start, end: end),
                                  coincidenceStories: options.coincidenceStories)
        goldenCases = options.includeGoldenCases ? Array(GoldenCase.allCases.prefix(options.userCount)) : []
        memberCount = options.userCount - goldenCases.count
    }
}
