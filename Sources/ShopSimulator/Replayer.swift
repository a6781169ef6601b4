import Postgres

/// Runs the rounds: each in its own transaction, one statement per event kind present, each
/// checked against the number of rows it had to change.
final class Replayer {
    let connection: PostgresConnection
    let counts: [RoundCounts]
    /// Milliseconds spent per step, for the closing progress line.
    private var timings: [(step: String, milliseconds: Int)] = []

    init(connection: PostgresConnection, counts: [RoundCounts]) {
        self.connection = connection
        self.counts = counts
    }

    func replay(progress: (String) -> Void) throws {
        let started = ContinuousClock.now
        try connection.execute(ReplaySQL.insertUsers)
        try connection.executeScript(FinishSQL.replaySettings)
        defer { try? connection.executeScript(FinishSQL.resetReplaySettings) }
        let rounds = counts.count - 1
        for round in 1..<counts.count {
            let roundStarted = ContinuousClock.now
            try connection.transaction { try replay(round: round) }
            progress("round \(round)/\(rounds): \(counts[round].total) events (\(ShopSimulator.milliseconds(since: roundStarted)) ms)")
        }
        progress("replayed \(rounds) rounds in \(ShopSimulator.milliseconds(since: started)) ms; by step: "
                 + timings.map { "\($0.step) \($0.milliseconds) ms" }.joined(separator: ", "))
    }

    private func replay(round: Int) throws {
        let count = counts[round]
        if count[.insertTransaction] > 0 {
            try run(ReplaySQL.insertTransactions, [round, EventKind.insertTransaction.rawValue], round, "insert transactions",
                    expect: count[.insertTransaction])
        }
        if count[.insertWithoutTrigger] > 0 {
            try connection.execute(ReplaySQL.disableBalanceTrigger)
            try run(ReplaySQL.insertTransactions, [round, EventKind.insertWithoutTrigger.rawValue], round,
                    "insert transactions without the balance trigger", expect: count[.insertWithoutTrigger])
            try connection.execute(ReplaySQL.enableBalanceTrigger)
        }
        if count[.callback] > 0 {
            try run(ReplaySQL.applyCallbacks, [round], round, "callbacks", expect: count[.callback])
        }
        if count.handlerReads > 0 {
            try run(ReplaySQL.handlerReadsBalance, [round], round, "handler reads", expect: count.handlerReads)
        }
        if count.immediateWrites > 0 {
            try run(ReplaySQL.handlerWritesBalance, [round, EventKind.callback.rawValue], round, "handler writes",
                    expect: count.immediateWrites)
        }
        if count[.handlerWrite] > 0 {
            try run(ReplaySQL.handlerWritesBalance, [round, EventKind.handlerWrite.rawValue], round, "delayed handler writes",
                    expect: count[.handlerWrite])
        }
        if count[.statusChange] > 0 {
            try run(ReplaySQL.changeStatus, [round], round, "status changes", expect: count[.statusChange])
        }
        if count[.compareAndSetBalance] > 0 {
            try run(ReplaySQL.compareAndSetBalance, [round], round, "compare-and-set corrections",
                    expect: count[.compareAndSetBalance])
        }
        if count[.adjustBalance] > 0 {
            try run(ReplaySQL.adjustBalance, [round], round, "balance adjustments", expect: count[.adjustBalance])
        }
    }

    private func run(_ sql: String, _ parameters: [any PostgresEncodable], _ round: Int, _ step: String, expect: Int) throws {
        let started = ContinuousClock.now
        let changed = try connection.execute(sql, parameters)
        let elapsed = ShopSimulator.milliseconds(since: started)
        if let index = timings.firstIndex(where: { $0.step == step }) {
            timings[index].milliseconds += elapsed
        } else {
            timings.append((step, elapsed))
        }
        guard changed == expect else {
            throw ShopSimulatorError.replayMismatch(round: round, step: step, expected: expect, actual: changed)
        }
    }
}
