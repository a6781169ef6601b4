import Rupiah

/// One step of one user's history, as the replay applies it: round n applies every user's n-th
/// event. Kinds map one-to-one to the statements in `ReplaySQL`.
enum EventKind: Int, CaseIterable, Sendable {
    /// A new `transactions` row (the balance trigger fires if it is inserted completed).
    case insertTransaction = 1
    /// A row inserted while the balance trigger was disabled (a back-fill script): no balance change.
    case insertWithoutTrigger = 2
    /// A Tripay callback: the handler updates the transaction (trigger), and while the buggy handler
    /// is deployed it also reads the balance and (handler 1) writes it back plus `amount_received`.
    case callback = 3
    /// The buggy handler's delayed write of a balance it read in an earlier round (a lost update).
    case handlerWrite = 4
    /// A status change by the shop or an admin (pending → completed, completed → refunded, …).
    case statusChange = 5
    /// A hand correction: `UPDATE users SET balance = new WHERE id = … AND balance = expected`.
    case compareAndSetBalance = 6
    /// A balance change outside the ledger by old code (`balance = balance + delta`).
    case adjustBalance = 7
}

/// How the callback handler behaved for one delivery.
enum HandlerMode: Int, Sendable {
    /// The fixed handler: only the transaction update.
    case fixed = 0
    /// The buggy handler: update, read the balance, write it back plus `amount_received`.
    case buggy = 1
    /// The buggy handler whose write comes in a later round (a purchase completes in between).
    case buggyDeferredWrite = 2
}

/// What a callback tells the handler; amounts are whole rupiah in Tripay's JSON.
struct CallbackPayload: Sendable {
    let channel: PaymentChannel
    let charge: TripayCharge
    let tripayStatus: String
    let newStatus: TransactionStatus
    let paidAt: Int64?
    /// What the code path stored in `tripay_total_amount` (normally `total_amount`).
    let storedTotal: Money
    /// False when the code path left `tripay_callback_data` NULL.
    let keepsCallbackData: Bool
    let handler: HandlerMode
}

struct StagedEvent: Sendable {
    let kind: EventKind
    let at: Int64
    var transaction: SimTransaction? = nil
    var callback: CallbackPayload? = nil
    var newStatus: TransactionStatus? = nil
    var tripayStatus: String? = nil
    var completedAt: Int64? = nil
    var expectedBalance: Money? = nil
    var newBalance: Money? = nil
    var delta: Money? = nil
}

/// The columns of `simulator_stage.events`, in the order `StagingSQL.copyEvents` names them.
extension StagedEvent {
    func copyRow(round: Int, userID: String) -> [String?] {
        let tx = transaction
        let cb = callback
        let insert = kind == .insertTransaction || kind == .insertWithoutTrigger
        return [
            String(round),
            String(kind.rawValue),
            userID,
            tx?.id.text,
            String(at),
            insert ? tx?.type.rawValue : nil,
            insert ? tx?.amount.exactText : nil,
            insert ? tx?.status.rawValue : newStatus?.rawValue ?? cb?.newStatus.rawValue,
            insert ? tx?.productName : nil,
            insert ? tx?.tripay?.reference : nil,
            insert ? tx?.tripay?.merchantRef : nil,
            insert ? tx?.tripay?.channel.rawValue : nil,
            cb?.channel.displayName,
            cb?.tripayStatus ?? tripayStatus ?? (insert && tx?.tripay != nil ? "UNPAID" : nil),
            cb?.charge.totalAmount.exactText,
            cb?.charge.feeMerchant.exactText,
            cb?.charge.feeCustomer.exactText,
            cb?.charge.totalFee.exactText,
            cb?.charge.amountReceived.exactText,
            cb?.storedTotal.exactText,
            cb?.paidAt.map { String($0) },
            completedAt.map { String($0) },
            cb.map { $0.keepsCallbackData ? "t" : "f" },
            cb.map { String($0.handler.rawValue) },
            expectedBalance?.exactText,
            newBalance?.exactText,
            delta?.exactText,
        ]
    }
}
