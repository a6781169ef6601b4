import Rupiah

/// Ordinary shop life, chosen when the step runs from what the user can afford then: Tripay
/// top-ups (paid, expired, failed, cancelled), admin top-ups, purchases (completed, pending,
/// processing, failed), refunds, warranty claims. None of it is credited by the buggy handler:
/// a payment that would be paid inside the window expires, is paid after it, or is an admin top-up.
extension HistoryScript {
    private enum Choice { case topup, adminTopup, expiredTopup, cancelledTopup, failedTopup, purchase, pendingPurchase,
                          failedPurchase, refund, warrantyClaim }

    mutating func performBase(at time: Int64, _ random: inout SimulationRandom) {
        guard book.transactions.count < baseTransactionLimit else { return }
        let funded = book.spendable >= Catalog.cheapest
        let choice: Choice = funded
            ? random.weighted([(.purchase, 52), (.topup, 24), (.pendingPurchase, 5), (.failedPurchase, 3),
                               (.expiredTopup, 4), (.cancelledTopup, 2), (.failedTopup, 1), (.adminTopup, 2),
                               (.refund, 3), (.warrantyClaim, 4)])
            : random.weighted([(.topup, 74), (.expiredTopup, 10), (.cancelledTopup, 5), (.failedTopup, 2), (.adminTopup, 9)])
        switch choice {
        case .topup: baseTopup(at: time, &random)
        case .adminTopup: insertAdminTopup(Catalog.topupAmount(&random), at: time, &random)
        case .expiredTopup: unpaidTopup(at: time, outcome: .expired, &random)
        case .failedTopup: unpaidTopup(at: time, outcome: .failed, &random)
        case .cancelledTopup:
            let slot = plannedTopup(at: time, settledAt: time + random.int64(60...1800), outcome: .expired, &random)
            topups[slot].transactionIndex = book.insert(topups[slot].transaction, at: time)
            schedule(.reverse(slot: slot, to: .cancelled), at: topups[slot].settledAt)
        case .purchase:
            if let product = Catalog.affordableProduct(book.spendable, &random) {
                insertPurchase(product.price, product.name, status: .completed, at: time, &random)
            }
        case .pendingPurchase:
            let product = Catalog.product(&random)
            let index = insertPurchase(product.price, product.name, status: random.chance(1, in: 4) ? .processing : .pending,
                                       at: time, &random)
            if random.chance(1, in: 2) {
                schedule(.completePending(transaction: index), at: time + random.int64(300...2 * SimulatedClock.day))
            }
        case .failedPurchase:
            let product = Catalog.product(&random)
            insertPurchase(product.price, product.name, status: .failed, at: time, &random)
        case .refund:
            // A refund for an earlier completed purchase (stock problem): legitimate, the trigger credits it.
            if let index = book.transactions.lastIndex(where: { $0.type == .purchase && $0.status == .completed }),
               !refundedPurchases.contains(index) {
                let purchase = book.transaction(index)
                refundedPurchases.insert(index)
                book.insert(SimTransaction(id: random.uuid(), type: .refund, amount: purchase.amount, status: .completed,
                                           productName: "Refund: " + (purchase.productName ?? "produk"), tripay: nil,
                                           createdAt: time), at: time)
            }
        case .warrantyClaim:
            let product = Catalog.product(&random)
            book.insert(SimTransaction(id: random.uuid(), type: .warrantyClaim, amount: product.price,
                                       status: random.weighted([(.completed, 2), (.pending, 1), (.failed, 1)]),
                                       productName: "Garansi: " + product.name, tripay: nil, createdAt: time), at: time)
        }
    }

    /// A Tripay top-up paid outside the window. One that would be paid inside it is paid after the
    /// end instead when created close to it (sometimes exactly at the end: not in the half-open
    /// window), a second before the start when created just before it, or otherwise expires.
    private mutating func baseTopup(at time: Int64, _ random: inout SimulationRandom) {
        let amount = Catalog.topupAmount(&random)
        let channel = Catalog.channel(for: amount, &random)
        var paidAt = time + TopupFactory.paymentDelay(channel, &random)
        if window.contains(paidAt) || window.contains(time) {
            if time < window.start && random.chance(1, in: 4) {
                paidAt = window.start - 1
            } else if window.end - time < SimulatedClock.day && random.chance(1, in: 2) {
                paidAt = random.chance(1, in: 10) ? window.end : window.end + random.int64(60...6 * SimulatedClock.hour)
            } else if random.chance(1, in: 3) {
                insertAdminTopup(amount, at: time, &random)
                return
            } else {
                unpaidTopup(at: time, outcome: .expired, &random)
                return
            }
        }
        let bearer: FeeBearer = random.chance(15, in: 100) ? .customer : .merchant
        let plan = factory.make(amount: amount, channel: channel, bearer: bearer, createdAt: time, settledAt: paidAt,
                                outcome: .paid, &random)
        scheduleTopup(plan, &random)
    }

    private mutating func unpaidTopup(at time: Int64, outcome: TopupPlan.Outcome, _ random: inout SimulationRandom) {
        let amount = Catalog.topupAmount(&random)
        let channel = Catalog.channel(for: amount, &random)
        let settled = outcome == .expired ? time + TopupFactory.expiry(channel) : time + random.int64(30...900)
        var plan = factory.make(amount: amount, channel: channel, bearer: .merchant, createdAt: time, settledAt: settled,
                                outcome: outcome, &random)
        plan.storesReceivedAsTotal = false
        scheduleTopup(plan, &random)
    }

    private mutating func plannedTopup(at time: Int64, settledAt: Int64, outcome: TopupPlan.Outcome,
                                       _ random: inout SimulationRandom) -> Int {
        let amount = Catalog.topupAmount(&random)
        let plan = factory.make(amount: amount, channel: Catalog.channel(for: amount, &random), bearer: .merchant,
                                createdAt: time, settledAt: settledAt, outcome: outcome, &random)
        return self.plan(plan)
    }
}
