import Rupiah

/// One user's finished history: who they are, the rows and events, and the truth.
struct GeneratedUser: Sendable {
    let id: SimulatedID
    let person: Person
    let createdAt: Int64
    let category: StoryCategory
    let book: ShopBook
    let note: String?
}

/// Makes each user's history from their own random stream.
struct UserGenerator: Sendable {
    let seed: UInt64
    let variant: TriggerVariant
    let window: BugWindow
    var coincidenceStories = false

    private static let categoryWeights = StoryCategory.allCases.map { ($0, $0.weightPerMille) }
    private static let coincidenceWeights = StoryCategory.allCases.map { ($0, $0.coincidenceWeightPerMille) }
    private static let goldenStreamBase: UInt64 = 1 << 40

    /// Ordinary member number `number` (1-based; unique, part of the username).
    func member(number: Int) -> GeneratedUser {
        var random = SimulationRandom(seed: seed, stream: UInt64(number))
        let id = random.uuid()
        let person = People.make(number: number, &random)
        let category = random.weighted(coincidenceStories ? Self.coincidenceWeights : Self.categoryWeights)
        let historyEnd = max(SimulatedClock.historyEnd, window.end + 10 * SimulatedClock.day)
        let earliest = min(SimulatedClock.historyStart, window.start) - 45 * SimulatedClock.day
        let latestCreation = category == .clean ? historyEnd - 3 * SimulatedClock.day : window.start - 2 * SimulatedClock.day
        let createdAt = SimulatedClock.businessMoment(in: earliest, max(earliest + 1, latestCreation), &random)

        var script = HistoryScript(
            book: ShopBook(variant: variant, createdAt: createdAt), factory: TopupFactory(memberNumber: number), window: window,
            baseTransactionLimit: HistoryScript.maximumTransactions - HistoryScript.storyTransactionReserve(category))
        let baseUntil = script.planStory(category, until: historyEnd, &random)
        // 0 to 25 ordinary steps, about 10 on average (fewer for story users: their story adds rows).
        let shape = random.unit()
        let steps = Int(Double(category == .clean ? 26 : 18) * shape * shape.squareRoot())
        // Members may have registered earlier; the shop's history starts in October.
        let activeFrom = max(createdAt, SimulatedClock.historyStart)
        if baseUntil > activeFrom {
            for _ in 0..<steps { script.schedule(.base, at: SimulatedClock.businessMoment(in: activeFrom, baseUntil, &random)) }
        }
        script.run(&random)
        return finish(id: id, person: person, createdAt: createdAt, category: category, script: script)
    }

    func golden(_ golden: GoldenCase, memberNumber: Int) -> GeneratedUser {
        var random = SimulationRandom(seed: seed, stream: Self.goldenStreamBase + UInt64(golden.rawValue))
        let id = random.uuid()
        let createdAt = golden.createdAt(window)
        var script = HistoryScript(book: ShopBook(variant: variant, createdAt: createdAt),
                                   factory: TopupFactory(memberNumber: memberNumber), window: window,
                                   baseTransactionLimit: 0)
        golden.plan(&script)
        script.run(&random)
        return finish(id: id, person: golden.person, createdAt: createdAt, category: golden.category, script: script)
    }

    private func finish(id: SimulatedID, person: Person, createdAt: Int64, category: StoryCategory,
                        script: HistoryScript) -> GeneratedUser {
        precondition(script.book.isConsistent, "the book of \(person.username) does not balance")
        precondition(script.book.events.count <= StagingLimits.maximumRounds, "too many events for \(person.username)")
        return GeneratedUser(id: id, person: person, createdAt: createdAt, category: category, book: script.book,
                             note: script.notes.isEmpty ? nil : script.notes.joined(separator: "; "))
    }
}

enum StagingLimits {
    /// Rounds the staging table has partitions for; no user has more events than this.
    static let maximumRounds = 120
}
