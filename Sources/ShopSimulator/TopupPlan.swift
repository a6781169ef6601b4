import Rupiah

/// A Tripay top-up as the story plans it: created pending, then paid (or not) and its callback
/// delivered one or more times.
struct TopupPlan: Sendable {
    enum Outcome: Sendable { case paid, expired, failed }

    let id: SimulatedID
    let reference: String
    let merchantRef: String
    let channel: PaymentChannel
    let charge: TripayCharge
    let createdAt: Int64
    /// When the customer paid (PAID), or when Tripay gave up (EXPIRED/FAILED).
    let settledAt: Int64
    let outcome: Outcome
    /// How many times the callback reaches the handler (Tripay re-sends unanswered callbacks).
    var deliveries: Int = 1
    /// The first delivery's handler write waits for a purchase that completes in between.
    var interleavedPurchase = false
    /// Paid in the window, but its callback never reached the buggy handler (another path
    /// completed it): the trigger credits it once, the handler never.
    var bypassesBuggyHandler = false
    /// The other code path: `amount_received` stored in `tripay_total_amount` too.
    var storesReceivedAsTotal = false
    /// The other code path: `tripay_callback_data` left NULL.
    var dropsCallbackData = false
    /// Set when the row is inserted.
    var transactionIndex: Int?

    var transaction: SimTransaction {
        SimTransaction(id: id, type: .topup, amount: charge.amount, status: .pending, productName: "Top Up Saldo",
                       tripay: TripayInfo(reference: reference, merchantRef: merchantRef, channel: channel, charge: charge),
                       createdAt: createdAt)
    }

    func payload(handler: HandlerMode) -> CallbackPayload {
        let status: (String, TransactionStatus) = switch outcome {
        case .paid: ("PAID", .completed)
        case .expired: ("EXPIRED", .expired)
        case .failed: ("FAILED", .failed)
        }
        return CallbackPayload(channel: channel, charge: charge, tripayStatus: status.0, newStatus: status.1,
                               paidAt: outcome == .paid ? settledAt : nil,
                               storedTotal: storesReceivedAsTotal ? charge.amountReceived : charge.totalAmount,
                               keepsCallbackData: !dropsCallbackData, handler: handler)
    }
}

/// Makes top-up plans with unique references: `T` + 13 digits + 5 capital letters.
struct TopupFactory {
    /// The member's number, unique across the simulation.
    let memberNumber: Int
    private var count = 0

    init(memberNumber: Int) { self.memberNumber = memberNumber }

    mutating func make(amount: Money, channel: PaymentChannel, bearer: FeeBearer, createdAt: Int64, settledAt: Int64,
                       outcome: TopupPlan.Outcome, _ random: inout SimulationRandom) -> TopupPlan {
        precondition(count < 64, "at most 64 top-ups per member keep references unique")
        // A bijection of 0..<10^8 (48271 is coprime to 10), so references stay unique but do not
        // look sequential.
        let ordinal = (memberNumber * 64 + count) % 100_000_000
        count += 1
        var digits = String((ordinal * 48_271 + 31_415_926) % 100_000_000)
        precondition(digits.count <= 8)
        digits = String(repeating: "0", count: 8 - digits.count) + digits
        let letters = String((0..<5).map { _ in Character(Unicode.Scalar(UInt8(65 + random.below(26)))) })
        let reference = "T47159" + digits + letters
        let merchantRef = "TOPUP-" + String(createdAt) + "-" + String(100 + random.below(900))
        var plan = TopupPlan(id: random.uuid(), reference: reference, merchantRef: merchantRef, channel: channel,
                             charge: TripayFees.charge(channel, amount: amount, bearer: bearer), createdAt: createdAt,
                             settledAt: settledAt, outcome: outcome)
        // A minority of rows went through another code path that stored the numbers differently.
        if random.chance(3, in: 100) { plan.storesReceivedAsTotal = true }
        if random.chance(3, in: 100) { plan.dropsCallbackData = true }
        return plan
    }

    /// How long after creation the customer pays, by channel.
    static func paymentDelay(_ channel: PaymentChannel, _ random: inout SimulationRandom) -> Int64 {
        switch channel {
        case .qris: random.int64(20...480)
        case .ovo, .dana, .shopeepay: random.int64(10...180)
        case .briva, .bniva, .mandiriva, .bcava: random.int64(180...6 * 3600)
        }
    }

    /// When an unpaid payment expires.
    static func expiry(_ channel: PaymentChannel) -> Int64 {
        channel.isVirtualAccount ? 24 * 3600 : 3600
    }
}
