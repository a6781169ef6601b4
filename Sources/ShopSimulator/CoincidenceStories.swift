import Rupiah

/// Stories whose balance the handler's signatures fit although the truth is different: the cases
/// an attribution must not be fooled by (issue 11). Each is built so the coincidence is exact.
extension HistoryScript {
    /// Amounts whose differences are prices a shop charges; with a flat-fee virtual account the
    /// differences of amount_received are those same round figures.
    private static let coincidenceAmounts: [Int64] = [50_000, 100_000, 150_000, 200_000, 250_000, 300_000, 500_000]

    mutating func planCoincidence(_ category: StoryCategory, _ random: inout SimulationRandom) {
        switch category {
        case .coincidentPurchase:
            planCoincidentPurchase(&random)
        case .unevenRedelivery:
            // One callback handled 2 or 3 times; another paid top-up never reached the buggy handler.
            let start = window.moment(0, 0.8, &random)
            var slots = [
                coincidenceTopup(Catalog.topupAmount(&random), paidAt: start, deliveries: random.int(2...3), &random),
                coincidenceTopup(Catalog.topupAmount(&random), paidAt: start + random.int64(SimulatedClock.hour...2 * SimulatedClock.day),
                                 bypassesHandler: true, &random),
            ]
            if random.chance(1, in: 2) { slots.swapAt(0, 1) }
            notes.append("\(topups[slots.first { topups[$0].bypassesBuggyHandler }!].reference) never reached the buggy handler")
        case .handCorrectedOne:
            // Two top-ups with the same amount_received, a third one's credit taken back by hand:
            // the rest (2 × R) looks like one of the two credited twice.
            let channel = random.element([PaymentChannel.qris, .briva, .bcava])
            let twin = Money(rupiah: random.element(Self.coincidenceAmounts))
            var other = Money(rupiah: random.element(Self.coincidenceAmounts))
            while other == twin { other = Money(rupiah: random.element(Self.coincidenceAmounts)) }
            let start = window.moment(0, 0.7, &random)
            var last = start
            var slots: [Int] = []
            var amounts = [twin, twin]
            amounts.insert(other, at: random.below(3))
            for amount in amounts {
                slots.append(coincidenceTopup(amount, channel: channel, paidAt: last, &random))
                last += random.int64(SimulatedClock.hour...SimulatedClock.day)
            }
            let corrected = slots.first { topups[$0].charge.amount == other }!
            schedule(.correctOneByHand(slot: corrected), at: last + random.int64(SimulatedClock.hour...3 * SimulatedClock.day))
        default:
            preconditionFailure("\(category) is not a coincidence story")
        }
    }

    /// Two or three top-ups credited once each on one flat-fee channel, and one purchase charged
    /// without a ledger row whose price makes the excess what the first top-up credited k times
    /// would leave (k = 2 or 3: k × amount_received, plus (k − 1) × amount where the trigger
    /// re-fires), or exactly the first's credit (the price is the second's amount_received).
    private mutating func planCoincidentPurchase(_ random: inout SimulationRandom) {
        let channel = random.element([PaymentChannel.briva, .bniva, .mandiriva])
        let shape = random.below(3)
        let runs = shape == 1 ? 3 : shape == 0 ? 2 : 1
        let refires = book.variant == .refiring ? Int64(runs - 1) : 0
        var amounts: [Money] = []
        var price = Money.zero
        // Amounts whose credits exceed what one top-up credited `runs` times leaves: the price is positive.
        while price <= .zero {
            amounts = []
            while amounts.count < (shape == 1 ? 3 : 2) {
                let amount = Money(rupiah: random.element(Self.coincidenceAmounts))
                if !amounts.contains(amount) { amounts.append(amount) }
            }
            amounts.sort()
            let received = amounts.map { TripayFees.charge(channel, amount: $0, bearer: .merchant).amountReceived }
            let credited = received.reduce(Money.zero, +)
            let looksLike = shape == 2 ? received[0] : Money(minorUnits: received[0].minorUnits * Int64(runs) + amounts[0].minorUnits * refires)
            price = credited - looksLike
        }
        var paidAt = window.moment(0, 0.7, &random)
        for amount in amounts {
            coincidenceTopup(amount, channel: channel, paidAt: paidAt, &random)
            paidAt += random.int64(10 * SimulatedClock.minute...2 * SimulatedClock.hour)
        }
        // The old purchase controller charged it: a failed purchase, or a completed one charged twice.
        let status: TransactionStatus = random.chance(2, in: 3) ? .failed : .completed
        schedule(.fixedPurchase(price: price, product: Catalog.products[0].0.name, status: status, deductedTwice: true),
                 at: paidAt + random.int64(5 * SimulatedClock.minute...SimulatedClock.hour))
    }

    /// A paid, merchant-borne window top-up of a given amount.
    @discardableResult
    private mutating func coincidenceTopup(_ amount: Money, channel: PaymentChannel? = nil, paidAt: Int64, deliveries: Int = 1,
                                           bypassesHandler: Bool = false, _ random: inout SimulationRandom) -> Int {
        let channel = channel ?? Catalog.channel(for: amount, &random)
        var plan = factory.make(amount: amount, channel: channel, bearer: .merchant,
                                createdAt: paidAt - TopupFactory.paymentDelay(channel, &random), settledAt: min(paidAt, window.end - 1),
                                outcome: .paid, &random)
        plan.deliveries = deliveries
        plan.bypassesBuggyHandler = bypassesHandler
        return scheduleTopup(plan, &random)
    }

    /// A person takes back exactly one top-up's amount_received, by compare-and-set.
    mutating func correctOneByHand(_ slot: Int, at time: Int64) {
        let received = topups[slot].charge.amountReceived
        book.correctByHand(intended: received, actual: received, at: time)
        uncorrectedCredits.removeAll { $0 == slot }
        notes.append("took back \(received.exactText) for \(topups[slot].reference) by hand")
    }
}
