import Rupiah

/// What each step does to the book.
extension HistoryScript {
    mutating func perform(_ step: Step, at time: Int64, _ random: inout SimulationRandom) {
        switch step {
        case .base:
            performBase(at: time, &random)

        case .createTopup(let slot):
            topups[slot].transactionIndex = book.insert(topups[slot].transaction, at: time)

        case .deliver(let slot, let delivery):
            let topup = topups[slot]
            guard let index = topup.transactionIndex else { preconditionFailure("callback before its top-up") }
            let handler = handler(for: topup, delivery: delivery)
            book.callback(index, topup.payload(handler: handler), at: time)
            if handler != .fixed && delivery == 0 { uncorrectedCredits.append(slot) }
            if handler != .fixed && delivery == topup.deliveries - 1 && topup.deliveries > 1 {
                notes.append("callback for \(topup.reference) handled \(topup.deliveries) times")
            }
            if handler == .buggyDeferredWrite {
                schedule(.interleavedPurchase, at: time + random.int64(1...3))
            }

        case .interleavedPurchase:
            let product = Catalog.affordableProduct(book.balance, &random) ?? Catalog.products[0].0
            insertPurchase(product.price, product.name, status: .completed, at: time, &random)
            notes.append("purchase \(product.price.exactText) completed between the handler's read and write")
            schedule(.deferredHandlerWrite, at: time + random.int64(1...3))

        case .deferredHandlerWrite:
            book.handlerWrite(at: time)

        case .correctAllByHand:
            let excess = book.bugExcess
            guard excess > .zero else { return }
            book.correctByHand(intended: excess, actual: excess, at: time)
            uncorrectedCredits.removeAll()
            notes.append("corrected by hand: took back \(excess.exactText)")

        case .correctWithRefundRows:
            for (offset, slot) in uncorrectedCredits.enumerated() {
                let topup = topups[slot]
                precondition(topup.deliveries == 1 && !topup.interleavedPurchase, "one refund row undoes one handler credit")
                let moment = time + Int64(offset) * SimulatedClock.minute
                let row = SimTransaction(id: random.uuid(), type: .refund, amount: -topup.charge.amountReceived,
                                         status: .completed, productName: "Koreksi saldo double topup " + topup.reference,
                                         tripay: nil, createdAt: moment)
                book.correctWithRefundRow(row, intended: topup.charge.amountReceived, at: moment)
                notes.append("correction booked as completed refund -\(topup.charge.amountReceived.exactText) (in the ledger)")
            }
            uncorrectedCredits.removeAll()

        case .wrongCorrection(let slot):
            let topup = topups[slot]
            let received = topup.charge.amountReceived
            // "The top-up was 10.000, take 10.000 back", or a figure rounded by hand.
            var taken = topup.charge.amount
            if taken == received || random.chance(1, in: 3) {
                let rupiah = received.minorUnits / Money.minorUnitsPerRupiah
                taken = Money(rupiah: random.element([rupiah / 1_000 * 1_000, (rupiah + 999) / 1_000 * 1_000,
                                                      (rupiah + 4_999) / 5_000 * 5_000]))
                if taken == received || taken == .zero { taken = received + Money(rupiah: 1_000) }
            }
            book.correctByHand(intended: received, actual: taken, at: time)
            uncorrectedCredits.removeAll { $0 == slot }
            notes.append("took back \(taken.exactText) for \(topup.reference) instead of \(received.exactText)")

        case .correctOneByHand(let slot):
            correctOneByHand(slot, at: time)

        case .reverse(let slot, let status):
            guard let index = topups[slot].transactionIndex else { return }
            let wasCompleted = book.transaction(index).status == .completed
            book.changeStatus(index, to: status, tripayStatus: status == .refunded ? "REFUND" : nil, at: time)
            if wasCompleted {
                notes.append("\(topups[slot].reference) \(status.rawValue) after payment"
                             + (book.variant == .refiring ? "; the trigger did not take back \(topups[slot].charge.amount.exactText)" : ""))
            }

        case .completePending(let index):
            let row = book.transaction(index)
            guard row.status == .pending || row.status == .processing else { return }
            book.changeStatus(index, to: book.spendable >= row.amount ? .completed : .failed, at: time)

        case .purchaseDeductedTwice:
            let product = fundedProduct(at: time, &random)
            book.adjustBalance(by: -product.price, at: time, attribution: .other)
            insertPurchase(product.price, product.name, status: .completed, at: time + 1, &random)
            notes.append("purchase \(product.price.exactText) deducted twice")

        case .failedPurchaseDeducted:
            let product = fundedProduct(at: time, &random)
            book.adjustBalance(by: -product.price, at: time, attribution: .other)
            insertPurchase(product.price, product.name, status: .failed, at: time + 2, &random)
            notes.append("failed purchase \(product.price.exactText) deducted")

        case .purchaseWithUnhandledRefund:
            let product = fundedProduct(at: time, &random)
            let index = insertPurchase(product.price, product.name, status: .completed, at: time, &random)
            refundedPurchases.insert(index)
            schedule(.unhandledRefund(transaction: index), at: time + random.int64(SimulatedClock.hour...5 * SimulatedClock.day))

        case .unhandledRefund(let index):
            let purchase = book.transaction(index)
            let refund = SimTransaction(id: random.uuid(), type: .refund, amount: purchase.amount, status: .completed,
                                        productName: "Refund: " + (purchase.productName ?? "produk"), tripay: nil, createdAt: time)
            book.insert(refund, at: time, withoutTrigger: true)
            notes.append("refund \(purchase.amount.exactText) never credited")

        case .spendDown:
            var moment = time
            while book.balance >= book.bugExcess, book.transactions.count < HistoryScript.maximumTransactions,
                  let product = Catalog.products.map(\.0).filter({ $0.price <= book.balance }).max(by: { $0.price < $1.price }) {
                insertPurchase(product.price, product.name, status: .completed, at: moment, &random)
                moment += random.int64(60...3 * SimulatedClock.hour)
            }

        case .fixedTopup(let amount, let channel, let paidAt):
            var plan = factory.make(amount: amount, channel: channel, bearer: .merchant, createdAt: time, settledAt: paidAt,
                                    outcome: .paid, &random)
            plan.storesReceivedAsTotal = false
            plan.dropsCallbackData = false
            scheduleTopup(plan, callbackLatency: 0, &random)

        case .fixedPurchase(let price, let product, let status, let deductedTwice):
            if deductedTwice { book.adjustBalance(by: -price, at: time, attribution: .other) }
            insertPurchase(price, product, status: status, at: time, &random)

        case .fixedCorrection(let expected, let newBalance):
            precondition(book.balance == expected, "golden correction expects \(expected), book has \(book.balance)")
            book.correctByHand(intended: expected - newBalance, actual: expected - newBalance, at: time)
        }
    }

    @discardableResult
    mutating func insertPurchase(_ price: Money, _ product: String?, status: TransactionStatus, at time: Int64,
                                 _ random: inout SimulationRandom) -> Int {
        let row = SimTransaction(id: random.uuid(), type: .purchase, amount: price, status: status, productName: product,
                                 tripay: nil, createdAt: time)
        return book.insert(row, at: time)
    }

    /// A product the user can pay for now; an admin top-up first when they cannot afford one.
    mutating func fundedProduct(at time: Int64, _ random: inout SimulationRandom) -> Catalog.Product {
        if let product = Catalog.affordableProduct(book.spendable, &random) { return product }
        let product = Catalog.product(&random)
        let topup = max(product.price, Money(rupiah: 200_000))
        insertAdminTopup(topup, at: time, &random)
        return product
    }

    mutating func insertAdminTopup(_ amount: Money, at time: Int64, _ random: inout SimulationRandom) {
        let row = SimTransaction(id: random.uuid(), type: .topup, amount: amount, status: .completed,
                                 productName: "Top Up Manual (Transfer Bank)", tripay: nil, createdAt: time)
        book.insert(row, at: time)
    }
}
