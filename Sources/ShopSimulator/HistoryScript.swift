import Rupiah

/// A step of a user's history, run at its time in time order against the user's `ShopBook`.
enum Step: Sendable {
    /// A free choice of ordinary activity (top-up, purchase, …), made when the step runs.
    case base
    /// Insert the planned top-up, pending.
    case createTopup(slot: Int)
    /// The callback for a planned top-up reaches the handler (delivery 0 is the first).
    case deliver(slot: Int, delivery: Int)
    /// The buggy handler's write, after a purchase completed between its read and its write.
    case deferredHandlerWrite
    /// A purchase that completes right after the handler's read (the lost update).
    case interleavedPurchase
    /// A person corrects the whole current bug excess by compare-and-set.
    case correctAllByHand
    /// A person books completed refunds of −amount_received, one per credited top-up so far.
    case correctWithRefundRows
    /// A person takes back the wrong figure for one top-up.
    case wrongCorrection(slot: Int)
    /// A person takes back exactly one top-up's amount_received by hand.
    case correctOneByHand(slot: Int)
    /// A paid top-up leaves `completed`.
    case reverse(slot: Int, to: TransactionStatus)
    /// A pending purchase is completed (or fails when the balance no longer covers it).
    case completePending(transaction: Int)
    /// The old purchase controller deducted the price itself, and the trigger again.
    case purchaseDeductedTwice
    /// The old controller deducted the price, then the purchase was recorded failed.
    case failedPurchaseDeducted
    /// A completed purchase whose refund is later back-filled with the trigger disabled.
    case purchaseWithUnhandledRefund
    case unhandledRefund(transaction: Int)
    /// The user spends the balance down with several purchases.
    case spendDown
    /// A fixed row (golden cases).
    case fixedTopup(amount: Money, channel: PaymentChannel, paidAt: Int64)
    case fixedPurchase(price: Money, product: String?, status: TransactionStatus, deductedTwice: Bool)
    case fixedCorrection(expected: Money, newBalance: Money)
}

/// One user's history: steps ordered by time (ties in the order they were scheduled), the
/// top-ups they refer to, and the book they move.
struct HistoryScript {
    struct Scheduled { let at: Int64; let order: Int; let step: Step }

    var book: ShopBook
    var topups: [TopupPlan] = []
    var factory: TopupFactory
    let window: BugWindow
    private var queue: [Scheduled] = []
    private var scheduledCount = 0
    /// Base activity stops creating rows at this count, leaving room for the story's rows.
    var baseTransactionLimit: Int
    static let maximumTransactions = 30
    /// Credited top-ups not yet corrected by a refund row.
    var uncorrectedCredits: [Int] = []
    var notes: [String] = []
    /// Purchases already refunded (a purchase is refunded at most once).
    var refundedPurchases: Set<Int> = []

    init(book: ShopBook, factory: TopupFactory, window: BugWindow, baseTransactionLimit: Int) {
        self.book = book
        self.factory = factory
        self.window = window
        self.baseTransactionLimit = baseTransactionLimit
    }

    mutating func schedule(_ step: Step, at time: Int64) {
        let item = Scheduled(at: time, order: scheduledCount, step: step)
        scheduledCount += 1
        let position = queue.firstIndex { ($0.at, $0.order) > (item.at, item.order) } ?? queue.count
        queue.insert(item, at: position)
    }

    /// Adds a planned top-up; the caller schedules its steps.
    mutating func plan(_ topup: TopupPlan) -> Int {
        topups.append(topup)
        return topups.count - 1
    }

    /// Plans a top-up and schedules its creation and callbacks (retries a few minutes apart).
    @discardableResult
    mutating func scheduleTopup(_ topup: TopupPlan, callbackLatency: Int64? = nil, _ random: inout SimulationRandom) -> Int {
        let slot = plan(topup)
        schedule(.createTopup(slot: slot), at: topup.createdAt)
        var deliveryTime = topup.settledAt + (callbackLatency ?? random.int64(1...5))
        for delivery in 0..<topup.deliveries {
            schedule(.deliver(slot: slot, delivery: delivery), at: deliveryTime)
            deliveryTime += random.int64(60...600)
        }
        return slot
    }

    mutating func run(_ random: inout SimulationRandom) {
        while !queue.isEmpty {
            let item = queue.removeFirst()
            perform(item.step, at: item.at, &random)
        }
    }

    /// The handler that processed a PAID callback: buggy while deployed (by `paid_at`).
    func handler(for topup: TopupPlan, delivery: Int) -> HandlerMode {
        guard topup.outcome == .paid, window.contains(topup.settledAt), !topup.bypassesBuggyHandler else { return .fixed }
        return topup.interleavedPurchase && delivery == 0 ? .buggyDeferredWrite : .buggy
    }
}

/// The buggy handler's deployment, by `paid_at`: `start ≤ paid_at < end`.
struct BugWindow: Sendable {
    let start: Int64
    let end: Int64

    func contains(_ time: Int64) -> Bool { time >= start && time < end }

    /// A moment inside the window between the given fractions of its length.
    func moment(_ from: Double, _ to: Double, _ random: inout SimulationRandom) -> Int64 {
        let length = Double(end - start)
        let lower = start + Int64(length * from)
        let upper = max(lower + 1, min(end, start + Int64(length * to)))
        return SimulatedClock.businessMoment(in: lower, upper, &random)
    }
}
