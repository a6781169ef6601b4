import Rupiah

/// The story of each category, as steps on top of the user's base activity.
extension HistoryScript {
    /// Schedules the category's steps; returns until when base activity may run (the `spent`
    /// story must end with the spending).
    mutating func planStory(_ category: StoryCategory, until historyEnd: Int64, _ random: inout SimulationRandom) -> Int64 {
        switch category {
        case .clean:
            return historyEnd

        case .doubleCredit:
            windowTopups(random.weighted([(1, 60), (2, 28), (3, 12)]), &random)

        case .redelivered:
            windowTopup(paidAt: window.moment(0, 1, &random), deliveries: random.int(2...3), &random)
            if random.chance(1, in: 3) { windowTopups(1, &random) }

        case .correctedFull:
            let last = windowTopups(random.weighted([(1, 70), (2, 30)]), &random)
            let when = last + random.int64(2 * SimulatedClock.hour...6 * SimulatedClock.day)
            schedule(random.chance(3, in: 5) ? .correctAllByHand : .correctWithRefundRows, at: when)

        case .correctedPartial:
            for _ in 0..<random.int(1...2) { windowTopup(paidAt: window.moment(0, 0.4, &random), &random) }
            schedule(.correctAllByHand, at: window.moment(0.45, 0.55, &random))
            for _ in 0..<random.int(1...2) { windowTopup(paidAt: window.moment(0.6, 0.98, &random), &random) }

        case .reversedAfterPaid:
            let slot = windowTopup(paidAt: window.moment(0, 0.9, &random), &random)
            let when = topups[slot].settledAt + random.int64(30 * SimulatedClock.minute...3 * SimulatedClock.day)
            schedule(.reverse(slot: slot, to: random.chance(3, in: 5) ? .refunded : .cancelled), at: when)

        case .lostUpdate:
            windowTopup(paidAt: window.moment(0, 1, &random), minimum: Money(rupiah: 50_000), interleavedPurchase: true, &random)
            if random.chance(1, in: 4) { windowTopups(1, &random) }

        case .spent:
            for _ in 0..<random.int(1...2) {
                windowTopup(paidAt: window.moment(0, 1, &random), minimum: Money(rupiah: 50_000), &random)
            }
            let lower = max(window.end, topups.map(\.settledAt).max() ?? window.end) + SimulatedClock.day
            let when = SimulatedClock.businessMoment(in: lower, max(lower + SimulatedClock.day, historyEnd - SimulatedClock.day), &random)
            schedule(.spendDown, at: when)
            return when - SimulatedClock.day

        case .otherPurchaseDouble:
            for _ in 0..<random.int(1...2) { schedule(.purchaseDeductedTwice, at: beforeWindow(&random)) }

        case .otherFailedPurchase:
            for _ in 0..<random.int(1...2) { schedule(.failedPurchaseDeducted, at: beforeWindow(&random)) }

        case .otherUnhandledRefund:
            schedule(.purchaseWithUnhandledRefund, at: beforeWindow(&random))

        case .wrongCorrection:
            let slot = windowTopup(paidAt: window.moment(0, 0.9, &random), channel: random.chance(4, in: 5) ? .qris : nil,
                                   bearer: .merchant, &random)
            schedule(.wrongCorrection(slot: slot), at: topups[slot].settledAt + random.int64(SimulatedClock.hour...2 * SimulatedClock.day))

        case .mixed:
            windowTopups(random.int(1...2), &random)
            switch random.below(3) {
            case 0: schedule(.purchaseDeductedTwice, at: beforeWindow(&random))
            case 1: schedule(.failedPurchaseDeducted, at: beforeWindow(&random))
            default: schedule(.purchaseWithUnhandledRefund, at: beforeWindow(&random))
            }

        case .coincidentPurchase, .unevenRedelivery, .handCorrectedOne:
            planCoincidence(category, &random)
        }
        return historyEnd
    }

    /// Rows a story may add beyond its base activity (the cap of 30 rows leaves room for them).
    static func storyTransactionReserve(_ category: StoryCategory) -> Int {
        switch category {
        case .clean: 0
        case .spent: 14
        default: 8
        }
    }

    /// Top-ups paid inside the window, each credited by the buggy handler; returns the last paid time.
    @discardableResult
    private mutating func windowTopups(_ count: Int, _ random: inout SimulationRandom) -> Int64 {
        var last = window.start
        for _ in 0..<count {
            // Now and then exactly at the start: the window is half-open, the start belongs to it.
            let paidAt = random.chance(1, in: 150) ? window.start : window.moment(0, 1, &random)
            let slot = windowTopup(paidAt: paidAt, &random)
            last = max(last, topups[slot].settledAt)
        }
        return last
    }

    @discardableResult
    private mutating func windowTopup(paidAt: Int64, minimum: Money = .zero, channel: PaymentChannel? = nil,
                                      bearer: FeeBearer? = nil, deliveries: Int = 1, interleavedPurchase: Bool = false,
                                      _ random: inout SimulationRandom) -> Int {
        var amount = Catalog.topupAmount(&random)
        while amount < minimum { amount = Catalog.topupAmount(&random) }
        let channel = channel ?? Catalog.channel(for: amount, &random)
        let bearer = bearer ?? (random.chance(15, in: 100) ? .customer : .merchant)
        var plan = factory.make(amount: amount, channel: channel, bearer: bearer,
                                createdAt: paidAt - TopupFactory.paymentDelay(channel, &random), settledAt: paidAt,
                                outcome: .paid, &random)
        plan.deliveries = deliveries
        plan.interleavedPurchase = interleavedPurchase
        return scheduleTopup(plan, &random)
    }

    /// The old purchase controller's time: before the window.
    private func beforeWindow(_ random: inout SimulationRandom) -> Int64 {
        let lower = max(book.createdAt, SimulatedClock.historyStart) + SimulatedClock.hour
        return SimulatedClock.businessMoment(in: lower, max(lower + 1, window.start - SimulatedClock.hour), &random)
    }
}
