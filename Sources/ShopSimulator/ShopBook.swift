import Rupiah

enum TransactionType: String, Sendable {
    case topup, purchase, refund
    case warrantyClaim = "warranty_claim"
}

enum TransactionStatus: String, Sendable {
    case pending, processing, completed, failed, cancelled, refunded, expired
}

struct TripayInfo: Sendable {
    let reference: String
    let merchantRef: String
    let channel: PaymentChannel
    let charge: TripayCharge
}

struct SimTransaction: Sendable {
    let id: SimulatedID
    let type: TransactionType
    let amount: Money
    var status: TransactionStatus
    let productName: String?
    let tripay: TripayInfo?
    let createdAt: Int64

    /// What the balance trigger adds when this row is (or becomes) completed.
    var balanceEffect: Money {
        switch type {
        case .topup, .refund: amount
        case .purchase: -amount
        case .warrantyClaim: .zero
        }
    }
}

/// One user's shop, modelled in Swift: the rows, the balance as the trigger and the handlers move
/// it, the ledger, and where each unit of `balance − ledger` came from. The replay must end where
/// this model ends (the tests check it); the model never reads the database.
struct ShopBook {
    /// Where a change of `balance − ledger` is booked in the truth.
    enum Attribution { case bug, other }

    let variant: TriggerVariant
    let createdAt: Int64
    private(set) var transactions: [SimTransaction] = []
    private(set) var events: [StagedEvent] = []
    private(set) var balance = Money.zero
    private(set) var ledger = Money.zero
    private(set) var bugExcess = Money.zero
    private(set) var otherDrift = Money.zero
    private(set) var handlerCredits = 0
    /// The last time the `users` row was updated (its `updated_at`).
    private(set) var lastUserUpdate: Int64
    /// A balance the buggy handler has read and not yet written back.
    private var pendingRead: (transaction: Int, balance: Money, received: Money)?

    init(variant: TriggerVariant, createdAt: Int64) {
        self.variant = variant
        self.createdAt = createdAt
        self.lastUserUpdate = createdAt
    }

    /// What the shop lets the user spend: the balance, but no more than the ledger says they own
    /// (keeps stories apart; the `spent` story spends the balance itself).
    var spendable: Money { min(balance, ledger) }

    func transaction(_ index: Int) -> SimTransaction { transactions[index] }

    // MARK: Rows

    /// Inserts a row; the trigger fires if it is inserted completed (unless the trigger was disabled).
    @discardableResult
    mutating func insert(_ tx: SimTransaction, at time: Int64, withoutTrigger: Bool = false,
                         attribution: Attribution = .other) -> Int {
        let before = balance - ledger
        transactions.append(tx)
        if tx.status == .completed {
            ledger += tx.balanceEffect
            if !withoutTrigger { moveBalance(by: tx.balanceEffect, at: time, touches: tx.type != .warrantyClaim) }
        }
        events.append(StagedEvent(kind: withoutTrigger ? .insertWithoutTrigger : .insertTransaction, at: time,
                                  transaction: tx, completedAt: tx.status == .completed ? time : nil))
        book(balance - ledger - before, attribution)
        return transactions.count - 1
    }

    /// A status change by the shop or an admin.
    mutating func changeStatus(_ index: Int, to status: TransactionStatus, tripayStatus: String? = nil,
                               at time: Int64, attribution: Attribution = .other) {
        let before = balance - ledger
        updateRow(index, to: status, at: time)
        events.append(StagedEvent(kind: .statusChange, at: time, transaction: transactions[index], newStatus: status,
                                  tripayStatus: tripayStatus, completedAt: status == .completed ? time : nil))
        book(balance - ledger - before, attribution)
    }

    /// A Tripay callback reaching the handler.
    mutating func callback(_ index: Int, _ payload: CallbackPayload, at time: Int64) {
        let before = balance - ledger
        updateRow(index, to: payload.newStatus, at: time)
        switch payload.handler {
        case .fixed:
            break
        case .buggy:
            let read = balance
            setBalance(read + payload.charge.amountReceived, at: time)
            handlerCredits += 1
        case .buggyDeferredWrite:
            precondition(pendingRead == nil, "one handler read at a time per user")
            pendingRead = (index, balance, payload.charge.amountReceived)
        }
        events.append(StagedEvent(kind: .callback, at: time, transaction: transactions[index], callback: payload,
                                  completedAt: payload.newStatus == .completed ? time : nil))
        book(balance - ledger - before, .bug)
    }

    /// The buggy handler writes back the balance it read earlier, plus `amount_received`.
    mutating func handlerWrite(at time: Int64) {
        guard let read = pendingRead else { preconditionFailure("no handler read to write back") }
        let before = balance - ledger
        pendingRead = nil
        setBalance(read.balance + read.received, at: time)
        handlerCredits += 1
        events.append(StagedEvent(kind: .handlerWrite, at: time, transaction: transactions[read.transaction]))
        book(balance - ledger - before, .bug)
    }

    // MARK: Balance edits outside the ledger

    /// Old code moving the balance directly (`balance = balance + delta`).
    mutating func adjustBalance(by delta: Money, at time: Int64, attribution: Attribution) {
        setBalance(balance + delta, at: time)
        events.append(StagedEvent(kind: .adjustBalance, at: time, delta: delta))
        book(delta, attribution)
    }

    /// A person's compare-and-set correction meant to take back `intended` of bug excess, which in
    /// fact takes back `actual` (the same, for a right correction). Whatever differs is other drift.
    mutating func correctByHand(intended: Money, actual: Money, at time: Int64) {
        let expected = balance
        setBalance(balance - actual, at: time)
        events.append(StagedEvent(kind: .compareAndSetBalance, at: time, expectedBalance: expected, newBalance: balance))
        bugExcess -= intended
        otherDrift += intended - actual
    }

    /// A correction booked as a completed refund of `−amount` that the trigger applies: the balance
    /// and the ledger both drop, so the bug excess is gone from the balance but `balance − ledger`
    /// keeps it; the truth books that as other drift (the ledger row, not money owed).
    mutating func correctWithRefundRow(_ tx: SimTransaction, intended: Money, at time: Int64) {
        precondition(tx.type == .refund && tx.status == .completed && tx.amount == -intended)
        insert(tx, at: time)
        bugExcess -= intended
        otherDrift += intended
    }

    // MARK: Internals

    private mutating func updateRow(_ index: Int, to status: TransactionStatus, at time: Int64) {
        let row = transactions[index]
        let wasCompleted = row.status == .completed
        let isCompleted = status == .completed
        transactions[index].status = status
        if wasCompleted != isCompleted { ledger += isCompleted ? row.balanceEffect : -row.balanceEffect }
        switch variant {
        case .guarded:
            if isCompleted && !wasCompleted {
                moveBalance(by: row.balanceEffect, at: time, touches: row.type != .warrantyClaim)
            } else if wasCompleted && !isCompleted {
                moveBalance(by: -row.balanceEffect, at: time, touches: row.type != .warrantyClaim)
            }
        case .refiring:
            if isCompleted { moveBalance(by: row.balanceEffect, at: time, touches: row.type != .warrantyClaim) }
        }
    }

    /// The trigger's `UPDATE users SET balance = balance ± amount` (it updates the row, and so its
    /// `updated_at`, even when the amount is zero).
    private mutating func moveBalance(by delta: Money, at time: Int64, touches: Bool) {
        guard touches else { return }
        setBalance(balance + delta, at: time)
    }

    private mutating func setBalance(_ value: Money, at time: Int64) {
        balance = value
        lastUserUpdate = max(lastUserUpdate, time)
    }

    private mutating func book(_ change: Money, _ attribution: Attribution) {
        guard change != .zero else { return }
        switch attribution {
        case .bug: bugExcess += change
        case .other: otherDrift += change
        }
    }

    /// The invariant every story keeps: `balance − ledger = bug excess + other drift`.
    var isConsistent: Bool { balance - ledger == bugExcess + otherDrift && pendingRead == nil }
}
