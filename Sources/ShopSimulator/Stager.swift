import Foundation
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

    mutating func add(_ other: RoundCounts) {
        for index in perKind.indices { perKind[index] += other.perKind[index] }
        handlerReads += other.handlerReads
        immediateWrites += other.immediateWrites
    }
}

/// What was staged, and the truth's totals.
struct StagedLoad: Sendable {
    var rounds = [RoundCounts](repeating: RoundCounts(), count: StagingLimits.maximumRounds + 1)
    var userCount = 0
    var transactionCount = 0
    var eventCount = 0
    var usersPerCategory: [StoryCategory: Int] = [:]
    var totalBugExcess = Money.zero
    var totalOtherDrift = Money.zero

    mutating func add(_ other: StagedLoad) {
        for round in rounds.indices { rounds[round].add(other.rounds[round]) }
        userCount += other.userCount
        transactionCount += other.transactionCount
        eventCount += other.eventCount
        usersPerCategory.merge(other.usersPerCategory, uniquingKeysWith: +)
        totalBugExcess += other.totalBugExcess
        totalOtherDrift += other.totalOtherDrift
    }
}

/// A chunk of users rendered as COPY rows, with its counts.
struct PreparedChunk: Sendable {
    var userRows: [[String?]] = []
    var eventRows: [[String?]] = []
    var counts = StagedLoad()

    init(_ users: [GeneratedUser]) {
        userRows.reserveCapacity(users.count)
        for user in users {
            let book = user.book
            userRows.append([
                user.id.text, user.person.username, user.person.email, user.person.fullName, user.person.role,
                String(user.createdAt), String(book.lastUserUpdate), user.category.rawValue,
                book.bugExcess.exactText, book.otherDrift.exactText, String(book.handlerCredits),
                book.balance.exactText, book.ledger.exactText, user.note,
            ])
            let userID = user.id.text
            for (index, event) in book.events.enumerated() {
                let round = index + 1
                eventRows.append(event.copyRow(round: round, userID: userID))
                counts.rounds[round].perKind[event.kind.rawValue] += 1
                if let handler = event.callback?.handler, handler != .fixed {
                    counts.rounds[round].handlerReads += 1
                    if handler == .buggy { counts.rounds[round].immediateWrites += 1 }
                }
            }
            counts.userCount += 1
            counts.eventCount += book.events.count
            counts.transactionCount += book.transactions.count
            counts.usersPerCategory[user.category, default: 0] += 1
            counts.totalBugExcess += book.bugExcess
            counts.totalOtherDrift += book.otherDrift
        }
    }
}

/// Generates users a chunk at a time on a thread of its own (memory stays bounded: a few chunks
/// in flight) while this thread streams the previous chunks into the staging tables with COPY.
struct Stager {
    let plan: LoadPlan
    static let chunkSize = 5_000

    func stage(into connection: PostgresConnection, progress: (String) -> Void) throws -> StagedLoad {
        let started = ContinuousClock.now
        let channel = ChunkChannel(capacity: 3)
        let plan = self.plan
        let producer = Thread {
            Self.produce(plan, into: channel)
        }
        producer.stackSize = 8 << 20
        producer.start()

        var load = StagedLoad()
        var reported = 0
        do {
            while let chunk = channel.take() {
                try connection.copyIn(StagingSQL.copyUsers) { writer in
                    for row in chunk.userRows { try writer.writeRow(row) }
                }
                try connection.copyIn(StagingSQL.copyEvents) { writer in
                    for row in chunk.eventRows { try writer.writeRow(row) }
                }
                load.add(chunk.counts)
                if load.userCount - reported >= 100_000 {
                    reported = load.userCount
                    progress("staged \(load.userCount) users, \(load.eventCount) events (\(ShopSimulator.milliseconds(since: started)) ms)")
                }
            }
        } catch {
            channel.cancel()
            channel.waitUntilProducerEnds()
            throw error
        }
        channel.waitUntilProducerEnds()
        while load.rounds.count > 1 && load.rounds[load.rounds.count - 1].total == 0 { load.rounds.removeLast() }
        progress("staged \(load.userCount) users, \(load.transactionCount) transactions, \(load.eventCount) events in "
                 + "\(load.rounds.count - 1) rounds (\(ShopSimulator.milliseconds(since: started)) ms)")
        return load
    }

    /// The generator thread: members 1…n in chunks, the golden cases last.
    private static func produce(_ plan: LoadPlan, into channel: ChunkChannel) {
        defer { channel.finish() }
        var next = 1
        while next <= plan.memberCount {
            let last = min(plan.memberCount, next + chunkSize - 1)
            let users = (next...last).map { plan.generator.member(number: $0) }
            next = last + 1
            guard channel.put(PreparedChunk(users)) else { return }
        }
        let golden = plan.goldenCases.enumerated().map { offset, golden in
            plan.generator.golden(golden, memberNumber: plan.memberCount + 1 + offset)
        }
        if !golden.isEmpty { _ = channel.put(PreparedChunk(golden)) }
    }
}

/// A bounded queue between the generator thread and the COPY loop.
final class ChunkChannel: @unchecked Sendable {
    private let condition = NSCondition()
    private var chunks: [PreparedChunk] = []
    private var finished = false
    private var cancelled = false
    private var producerEnded = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// False once the consumer has given up (the producer stops).
    func put(_ chunk: PreparedChunk) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        chunks.append(chunk)
        condition.broadcast()
        return true
    }

    /// The next chunk, or nil when the producer is done.
    func take() -> PreparedChunk? {
        condition.lock()
        defer { condition.unlock() }
        while chunks.isEmpty && !finished { condition.wait() }
        guard !chunks.isEmpty else { return nil }
        let chunk = chunks.removeFirst()
        condition.broadcast()
        return chunk
    }

    func finish() {
        condition.lock()
        finished = true
        producerEnded = true
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        chunks.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    func waitUntilProducerEnds() {
        condition.lock()
        while !producerEnded { condition.wait() }
        condition.unlock()
    }
}
