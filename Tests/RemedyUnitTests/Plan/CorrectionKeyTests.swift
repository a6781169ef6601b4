import Crypto
import Foundation
import Rupiah
import Testing
@testable import RemedyCore

/// A correction's generations: apply books generation g only when g − 1 was reverted, so each key
/// must name its predecessor exactly, and nothing that is not a generation key may seem to.
@Suite struct CorrectionKeyTests {
    let base = String(repeating: "ab", count: 32)

    @Test func eachGenerationNamesTheOneBefore() {
        #expect(CorrectionKey.previous(of: base) == nil)
        for generation in 1...12 {
            let key = CorrectionKey.key(base: base, generation: generation)
            #expect(CorrectionKey.previous(of: key) == CorrectionKey.key(base: base, generation: generation - 1))
            #expect(CorrectionKey.generation(of: key, base: base) == generation)
        }
    }

    @Test func keysThatAreNotGenerationsHaveNoPredecessor() {
        for key in ["\(base)/0", "\(base)/-1", "\(base)/", "\(base)/x", "\(base)/1/", "", "/"] {
            #expect(CorrectionKey.previous(of: key) == nil, "\(key)")
        }
        // The last slash counts: a key with two is read by its final generation.
        #expect(CorrectionKey.previous(of: "\(base)/a/2") == "\(base)/a/1")
    }
}

/// Keys already booked in the shop's book must recompute: the v2 key is the SHA-256 of its text,
/// a line each, the transactions sorted, whatever the code that builds it.
@Suite struct CorrectionKeyTextTests {
    @Test func theBaseKeyIsTheHashOfTheV2Text() throws {
        let search = Attribution(maxRepeats: 3, triggerRefires: false, maxLostPurchases: 2, maxStates: 200_000)
        // 9.180 + 13.000, one way only: both top-ups, named in the text in sorted order.
        let outcome = search.attribute(excess: Money(rupiah: 22_180), topUps: [qrisTopUp(2), qrisTopUp(1, amount: 15_000, received: 13_000)], lostPurchases: [])
        guard case .explained(let decomposition, 1) = outcome else { Issue.record("\(outcome)"); return }
        #expect(decomposition.transactionIds == ["tx-2", "tx-1"])
        let text = "remedy-correction/v2\ntripay-double-credit\nuser-7\n22180.00\ntx-1\ntx-2\n"
        let expected = SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
        #expect(AdjustmentLine.correctionKey(job: "tripay-double-credit", userId: "user-7", excess: Money(rupiah: 22_180), attribution: decomposition) == expected)
    }
}
