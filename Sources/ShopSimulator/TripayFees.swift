import Rupiah

/// Tripay payment channels the shop offers, with the fee rules of its merchant account.
enum PaymentChannel: String, CaseIterable, Sendable {
    case qris = "QRIS"
    case briva = "BRIVA"
    case bniva = "BNIVA"
    case mandiriva = "MANDIRIVA"
    case bcava = "BCAVA"
    case ovo = "OVO"
    case dana = "DANA"
    case shopeepay = "SHOPEEPAY"

    /// The callback's `payment_method` (its display name); `payment_method_code` is the raw value.
    var displayName: String {
        switch self {
        case .qris: "QRIS by ShopeePay"
        case .briva: "BRI Virtual Account"
        case .bniva: "BNI Virtual Account"
        case .mandiriva: "Mandiri Virtual Account"
        case .bcava: "BCA Virtual Account"
        case .ovo: "OVO"
        case .dana: "DANA"
        case .shopeepay: "ShopeePay"
        }
    }

    var isVirtualAccount: Bool {
        switch self {
        case .briva, .bniva, .mandiriva, .bcava: true
        default: false
        }
    }

    /// The fee for a payment of `amount` (whole rupiah): QRIS Rp 750 + 0,7 %, virtual accounts a
    /// flat fee, e-wallets 3 %; percentages are rounded up to the rupiah.
    func fee(for amount: Money) -> Money {
        switch self {
        case .qris: Money(rupiah: 750) + TripayFees.percentRoundedUp(amount, perMille: 7)
        case .briva, .bniva, .mandiriva: Money(rupiah: 4_250)
        case .bcava: Money(rupiah: 5_500)
        case .ovo, .dana, .shopeepay: TripayFees.percentRoundedUp(amount, perMille: 30)
        }
    }
}

/// Who bears the fee: the merchant (deducted from what the shop receives) or the customer (added
/// to what the customer pays).
enum FeeBearer: Sendable {
    case merchant
    case customer
}

/// The amounts of one Tripay payment, as its callback reports them.
struct TripayCharge: Equatable, Sendable {
    /// The top-up value (what the shop set as `transactions.amount` at creation).
    let amount: Money
    /// What the customer paid (`total_amount`).
    let totalAmount: Money
    let feeMerchant: Money
    let feeCustomer: Money
    let totalFee: Money
    /// What the merchant receives (`total_amount − total_fee`): what the buggy handler added.
    let amountReceived: Money
}

enum TripayFees {
    static func charge(_ channel: PaymentChannel, amount: Money, bearer: FeeBearer) -> TripayCharge {
        let fee = channel.fee(for: amount)
        switch bearer {
        case .merchant:
            return TripayCharge(amount: amount, totalAmount: amount, feeMerchant: fee, feeCustomer: .zero,
                                totalFee: fee, amountReceived: amount - fee)
        case .customer:
            return TripayCharge(amount: amount, totalAmount: amount + fee, feeMerchant: .zero, feeCustomer: fee,
                                totalFee: fee, amountReceived: amount)
        }
    }

    /// `amount × perMille / 1000`, rounded up to a whole rupiah (amounts are non-negative).
    static func percentRoundedUp(_ amount: Money, perMille: Int64) -> Money {
        let perRupiah = Money.minorUnitsPerRupiah
        let numerator = amount.minorUnits * perMille          // in sen × 1000
        let denominator = 1000 * perRupiah                    // → whole rupiah
        let rupiah = (numerator + denominator - 1) / denominator
        return Money(rupiah: rupiah)
    }
}
