import Postgres
import Rupiah

/// Events per kind in one round, counted while staging, so the replay can skip empty statements
/// and check that every statement changed exactly the rows it should.
struct RoundCounts: Sendable {
    var perKind = [Int](repeating: 0, count: EventKind.allCases.count + 1)
    /// Callbacks whose handler read the balance (handler 1 or 2), and those that wrote it at once.
    var handlerReads = 0
    var immediateWrites = 0

    var total: Int { perKind.reduce(0, +) }
    subscript(kind: EventKind) -> Int { perKind[kind.rawValue] }
}

struct StagedLoad: Sendable {
    var rounds: [RoundCounts] = []
    var userCount = 0
    var transactionCount = 0
    var eventCount = 0
    var usersPerCategory: [StoryCategory: Int] = [:]
    var totalBugExcess = Money.zero
    var totalOtherDrift = Money.zero
}

/// Generates users a chunk at a time (memory stays bounded) and streams them into the staging
/// tables with COPY.
struct Stager {
    let plan: LoadPlan
    static let chunkSize = 5_000

    func stage(into connection: PostgresConnection, progress: (String) -> Void) throws -> StagedLoad {
        let started = ContinuousClock.now
        var load = StagedLoad()
        load.rounds = [RoundCounts](repeating: RoundCounts(), count: StagingLimits.maximumRounds + 1)
        var nextNumber = 1
        var goldenDone = false
        var reported = 0
        while nextNumber <= plan.memberCount || !goldenDone {
            var users: [GeneratedUser] = []
            users.reserveCapacity(Self.chunkSize)
            while users.count < Self.chunkSize && nextNumber <= plan.memberCount {
                users.append(plan.generator.member(number: nextNumber))
                nextNumber += 1
            }
            if nextNumber > plan.memberCount && !goldenDone {
                for (offset, golden) in plan.goldenCases.enumerated() {
                    users.append(plan.generator.golden(golden, memberNumber: plan.memberCount + 1 + offset))
                }
                goldenDone = true
            }
            try write(users, into: connection, &load)
            if load.userCount - reported >= 100_000 {
                reported = load.userCount
                progress("staged \(load.userCount) users, \(load.eventCount) events (\(ShopSimulator.milliseconds(since: started)) ms)")
            }
        }
        while load.rounds.count > 1 && load.rounds[load.rounds.count - 1].total == 0 { load.rounds.removeLast() }
        progress("staged \(load.userCount) users, \(load.transactionCount) transactions, \(load.eventCount) events in "
                 + "\(load.rounds.count - 1) rounds (\(ShopSimulator.milliseconds(since: started)) ms)")
        return load
    }

    private func write(_ users: [GeneratedUser], into connection: PostgresConnection, _ load: inout StagedLoad) throws {
        guard !users.isEmpty else { return }
        try connection.copyIn(StagingSQL.copyUsers) { writer in
            for user in users {
                let book = user.book
                try writer.writeRow([
                    user.id.text, user.person.username, user.person.email, user.person.fullName, user.person.role,
                    String(user.createdAt), String(book.lastUserUpdate), user.category.rawValue,
                    book.bugExcess.exactText, book.otherDrift.exactText, String(book.handlerCredits),
                    book.balance.exactText, book.ledger.exactText, user.note,
                ])
            }
        }
        try connection.copyIn(StagingSQL.copyEvents) { writer in
            for user in users {
                let userID = user.id.text
                for (index, event) in user.book.events.enumerated() {
                    let round = index + 1
                    try writer.writeRow(event.copyRow(round: round, userID: userID))
                    load.rounds[round].perKind[event.kind.rawValue] += 1
                    if let handler = event.callback?.handler, handler != .fixed {
                        load.rounds[round].handlerReads += 1
                        if handler == .buggy { load.rounds[round].immediateWrites += 1 }
                    }
                }
            }
        }
        for user in users {
            load.userCount += 1
            load.eventCount += user.book.events.count
            load.transactionCount += user.book.transactions.count
            load.usersPerCategory[user.category, default: 0] += 1
            load.totalBugExcess += user.book.bugExcess
            load.totalOtherDrift += user.book.otherDrift
        }
    }
}
