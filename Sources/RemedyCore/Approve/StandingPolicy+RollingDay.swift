import Postgres
import Rupiah

/// What automatic plans of a job moved in the last 24 hours, read from remedy's book: a policy's
/// limits hold over a rolling day, not per process, so running `remedy run` five times moves no
/// more than running it once.
public struct PolicyUsage: Sendable, Equatable {
    /// Per user, the sum of |delta| of their automatically applied lines.
    public var perUser: [String: Money] = [:]
    public var total: Money = .zero

    public init() {}

    /// Read from the book; `excludingPlan` is the plan being applied (a re-run after a crash must
    /// not count its own earlier batches twice).
    public static func lastDay(job: String, excludingPlan: String = "", connection: PostgresConnection) throws -> PolicyUsage {
        var usage = PolicyUsage()
        for row in try connection.query(PolicySQL.movedInTheLastDay, [job, excludingPlan]) {
            let moved = try row.decode(1, as: Money.self)
            usage.perUser[try row.decode(0, as: String.self)] = moved
            usage.total = try usage.total.adding(moved)
        }
        return usage
    }
}

extension StandingPolicy {
    /// Apply's check, under the job's lease (so two runs cannot both spend the same day): the
    /// plan's lines plus what the job's automatic plans moved in the last 24 hours stay inside
    /// the policy's limits.
    func requireWithinRollingDay(_ adjustments: [AdjustmentLine], planDigest: String, job: String, connection: PostgresConnection) throws {
        let usage = try PolicyUsage.lastDay(job: job, excludingPlan: planDigest, connection: connection)
        guard covers(adjustments, alreadyMoved: usage) else {
            throw RemedyError(.quorum, "policy \(name) allows \(maxTotalPerRun.rupiah), \(maxUsers) user(s) and \(maxSingleAdjustment.rupiah) per user in 24 hours; automatic plans of \(job) already moved \(usage.total.rupiah) for \(usage.perUser.count) user(s) in the last 24 hours, and this plan's lines would go beyond that; they need a person's sign-off")
        }
    }
}
