import Foundation
import Rupiah

/// Which body `auto_update_user_balance()` has.
public enum TriggerVariant: String, Sendable, CaseIterable {
    /// The shop's published version: moves the balance on the transition into `completed`
    /// (`OLD.status <> 'completed'`) and takes it back when a row leaves `completed`.
    case guarded
    /// The seeds' simplified body, `IF NEW.status = 'completed'`: fires again on every update of a
    /// completed row and never takes anything back.
    case refiring
}

public struct SimulationOptions: Sendable {
    public var seed: UInt64 = 1
    /// Users in total, the golden cases included.
    public var userCount: Int = 2_000
    /// The buggy handler was deployed for payments with `start ≤ paid_at < end`.
    public var bugWindowStart: Date = SimulationOptions.defaultBugWindowStart
    public var bugWindowEnd: Date = SimulationOptions.defaultBugWindowEnd
    public var triggerVariant: TriggerVariant = .guarded
    /// `member1`, `qris_single` and `qris_series` with the numbers of the seeds.
    public var includeGoldenCases = true
    /// How the deployment's schema differs from the default (SchemaVariant.swift).
    public var schemaVariant = SchemaVariant()
    /// Adds the stories that make the handler's signatures fit a different truth on purpose
    /// (`StoryCategory.coincidentPurchase`, `.unevenRedelivery`, `.handCorrectedOne`). Off by
    /// default: the other stories' draws stay as they were.
    public var coincidenceStories = false
    /// The handler's raw callbacks with their signatures, some tampered (SignedCallbacks.swift);
    /// nil: only the jsonb copy, as before.
    public var signedCallbacks: SignedCallbacks?

    /// 2025-11-20T00:00:00+07:00
    public static let defaultBugWindowStart = Date(timeIntervalSince1970: TimeInterval(SimulatedClock.epoch(2025, 11, 20)))
    /// 2025-12-02T12:00:00+07:00
    public static let defaultBugWindowEnd = Date(timeIntervalSince1970: TimeInterval(SimulatedClock.epoch(2025, 12, 2, 12)))

    public init(seed: UInt64 = 1, userCount: Int = 2_000, triggerVariant: TriggerVariant = .guarded) {
        self.seed = seed
        self.userCount = userCount
        self.triggerVariant = triggerVariant
    }
}

/// What `ShopSimulator.load` built.
public struct SimulationSummary: Sendable {
    public let userCount: Int
    public let transactionCount: Int
    public let usersPerCategory: [StoryCategory: Int]
    /// Σ `simulator.truth.bug_excess`.
    public let totalBugExcess: Money
    /// Σ `simulator.truth.other_drift`.
    public let totalOtherDrift: Money
    public let elapsedMilliseconds: Int

    public init(userCount: Int, transactionCount: Int, usersPerCategory: [StoryCategory: Int], totalBugExcess: Money,
                totalOtherDrift: Money, elapsedMilliseconds: Int) {
        self.userCount = userCount
        self.transactionCount = transactionCount
        self.usersPerCategory = usersPerCategory
        self.totalBugExcess = totalBugExcess
        self.totalOtherDrift = totalOtherDrift
        self.elapsedMilliseconds = elapsedMilliseconds
    }
}
