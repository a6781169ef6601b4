@testable import RemedyCore
import Rupiah
import Testing

/// What an export tells finance a correction was for comes from the classifications its
/// attribution used: a balance-drift give-back is not filed as a Tripay double credit.
@Suite("Export: a correction's reason is its own")
struct ExportReasonTests {
    static func decomposition(_ kinds: [SignatureKind]) -> Decomposition {
        Decomposition(topUps: [], total: Money(minorUnits: 2_150_000), classification: kinds)
    }

    @Test func eachClassificationHasItsCodeAndBothAreJoined() {
        #expect(ExportBuilder.why(Self.decomposition([.handlerCredit])).code == "double-credit")
        #expect(ExportBuilder.why(Self.decomposition([.handlerCredit, .lostUpdate])).code == "double-credit")
        let deduction = ExportBuilder.why(Self.decomposition([.purchaseDeductedTwice]))
        #expect(deduction.code == "purchase-deduction" && deduction.text.hasPrefix("purchase deduction:") && !deduction.text.contains("Tripay"))
        let both = ExportBuilder.why(Self.decomposition([.failedPurchaseDeducted, .handlerCredit]))
        #expect(both.code == "double-credit+purchase-deduction" && both.text.contains("; purchase deduction:"))
        #expect(ExportBuilder.why(Self.decomposition([])).code == "drift")
    }
}
