import Rupiah
import Testing
@testable import ShopSimulator

@Suite struct TripayFeeTests {
    @Test func qrisFeeIsFlatPlusPercentRoundedUp() {
        let charge = TripayFees.charge(.qris, amount: Money(rupiah: 10_000), bearer: .merchant)
        #expect(charge.totalFee == Money(rupiah: 820))
        #expect(charge.amountReceived == Money(rupiah: 9_180))
        #expect(charge.totalAmount == Money(rupiah: 10_000))
        #expect(charge.feeMerchant == Money(rupiah: 820))
        #expect(charge.feeCustomer == .zero)
        // 0,7 % of 12.345 is 86,415: rounded up to 87.
        #expect(PaymentChannel.qris.fee(for: Money(rupiah: 12_345)) == Money(rupiah: 837))
        // Exactly 105 needs no rounding.
        #expect(PaymentChannel.qris.fee(for: Money(rupiah: 15_000)) == Money(rupiah: 855))
    }

    @Test func virtualAccountsAreFlat() {
        for amount in [Money(rupiah: 10_000), Money(rupiah: 2_000_000)] {
            #expect(PaymentChannel.briva.fee(for: amount) == Money(rupiah: 4_250))
            #expect(PaymentChannel.bniva.fee(for: amount) == Money(rupiah: 4_250))
            #expect(PaymentChannel.mandiriva.fee(for: amount) == Money(rupiah: 4_250))
            #expect(PaymentChannel.bcava.fee(for: amount) == Money(rupiah: 5_500))
        }
        let charge = TripayFees.charge(.bcava, amount: Money(rupiah: 100_000), bearer: .merchant)
        #expect(charge.amountReceived == Money(rupiah: 94_500))
    }

    @Test func eWalletsArePercentRoundedUp() {
        #expect(PaymentChannel.ovo.fee(for: Money(rupiah: 10_000)) == Money(rupiah: 300))
        #expect(PaymentChannel.dana.fee(for: Money(rupiah: 12_345)) == Money(rupiah: 371))   // 370,35 → 371
        #expect(PaymentChannel.shopeepay.fee(for: Money(rupiah: 99_999)) == Money(rupiah: 3_000))  // 2.999,97 → 3.000
    }

    @Test func feeChargedToTheCustomer() {
        let charge = TripayFees.charge(.qris, amount: Money(rupiah: 10_000), bearer: .customer)
        #expect(charge.totalAmount == Money(rupiah: 10_820))
        #expect(charge.feeCustomer == Money(rupiah: 820))
        #expect(charge.feeMerchant == .zero)
        #expect(charge.totalFee == Money(rupiah: 820))
        #expect(charge.amountReceived == Money(rupiah: 10_000))
        #expect(charge.amountReceived == charge.totalAmount - charge.totalFee)
    }
}
