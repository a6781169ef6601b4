import Foundation
import Postgres
import RemedyCore

extension SizeRun {
    /// remedy apply of the signed-off plan while a thread inserts completed top-ups for users the
    /// plan corrects, every other one for a user of a batch apply is working on (what a customer
    /// whose row apply holds would wait); 3 s of top-ups before apply are the idle baseline.
    func applyWithLiveTopups(bundle: PlanBundle, directory: String, label: String, commands: RemedyCommands, connection: PostgresConnection,
                             into figures: inout ApplyFigures) throws {
        let progress = ApplyProgress(stderrPath: "\(work)/\(label).stderr")
        let planned = bundle.plan.adjustments.map(\.userId)
        let batchSize = try JobLocator.load(job: "tripay-double-credit", explicit: settings.jobs).apply.batchSize
        let inFlight = settings.applyConnections
        let anyone = planned.isEmpty ? [try connection.query("SELECT id::text FROM public.users LIMIT 1")[0].decode(0, as: String.self)] : planned
        let topups = LiveTopups(url: commands.url, userIds: anyone, pauseMilliseconds: settings.topupPauseMs, logger: settings.logger) {
            // A user of a batch apply is on: the lines after those it reported done, as many
            // batches on as it has connections.
            let done = progress.done
            guard done < planned.count else { return nil }
            return planned[Int.random(in: done..<min(done + batchSize * inFlight, planned.count))]
        }
        let baselineStart = ContinuousClock.now
        topups.start()
        Thread.sleep(forTimeInterval: 3)
        var window = (start: ContinuousClock.now, end: ContinuousClock.now)
        let apply: ChildResult
        do {
            // Counted from here: apply's statements, and the live top-ups' beside them.
            let countingStatements = try ServerStatementTimes.start(on: connection)
            // JSON logs: a progress event per batch, which the aiming reads (ApplyProgress).
            apply = try commands.run(label, ["apply", directory, "--key", "\(work)/andi.key", "--log-format", "json"] + commands.jobsArguments + commands.applyArguments,
                                     started: { window.start = ContinuousClock.now })
            window.end = ContinuousClock.now
            if countingStatements { figures.serverStatements = try ServerStatementTimes(on: connection) }
        } catch {
            _ = try? topups.stop()
            throw error
        }
        let samples = try topups.stop()
        figures.apply = apply
        figures.outcome = apply.lastLines(ofStdout: 3).first ?? ""
        guard apply.exitStatus == 0 else {
            throw BenchmarkError("remedy apply exited \(apply.exitStatus): \(figures.outcome)\n\(apply.tail(ofStderr: 20))")
        }
        figures.topupsIdle = LatencySummary(samples.filter { $0.startedAt >= baselineStart && $0.startedAt < window.start }.map(\.milliseconds))
        let during = samples.filter { $0.startedAt >= window.start && $0.startedAt < window.end }
        figures.topupsDuringApply = LatencySummary(during.filter { !$0.aimed }.map(\.milliseconds))
        figures.topupsAimed = LatencySummary(during.filter(\.aimed).map(\.milliseconds))
        figures.batches = try batchFigures(digest: bundle.digest, connection: connection)
    }

    /// How long each of apply's batch transactions ran, from the server's timestamps: to its
    /// commit when the server tracks commit timestamps (the self-contained cluster does).
    func batchFigures(digest: String, connection: PostgresConnection) throws -> BatchFigures {
        let toCommit = try connection.query(BenchmarkSQL.tracksCommitTimestamps)[0].decode(0, as: Bool.self)
        let row = try connection.query(toCommit ? BenchmarkSQL.batchDurations : BenchmarkSQL.batchDurationsToLastTimestamp, [digest])[0]
        return BatchFigures(count: try row.decode(0, as: Int.self), p50: Double(row.text(1) ?? "") ?? 0, p99: Double(row.text(2) ?? "") ?? 0,
                            max: Double(row.text(3) ?? "") ?? 0, largest: try row.decode(4, as: Int.self), toCommit: toCommit)
    }
}
