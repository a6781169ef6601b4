import Foundation
import Rupiah
import Testing
@testable import RemedyCore

/// `show --json` lays out the canonical bytes of a plan's lines as the pretty-printing encoder
/// would write them. The layout must be that encoder's, byte for byte, whatever the strings hold:
/// brackets, colons, commas, quotes and backslashes inside a string are text, not structure.
@Suite("show --json: canonical JSON laid out as the pretty printer writes it")
struct SplicedJSONWriterTests {
    static let awkward = ["", "plain", "{\"a\":[1,2]}", "[]", "{}", "a, b: c", "quote\" back\\slash /slash", "\\\"", "\\",
                          "\u{0}\u{1}\u{8}\u{9}\u{a}\u{c}\u{d}\u{1f}\u{7f}", "é 漢字 🙂 \u{2028}\u{202e}"]

    @Test func attributionsWithAwkwardTextAndEmptyArrays() throws {
        for (index, text) in Self.awkward.enumerated() {
            let lost = LostPurchaseCandidate(transactionId: text, completedAt: text, amount: Money(minorUnits: Int64(index)), afterReference: text)
            let topUp = TopUpAttribution(transactionId: text, reference: text, paidAt: text, amount: Money(minorUnits: -1), amountReceived: .zero,
                                         handlerRuns: index, triggerRefires: 1, lostPurchases: index % 2 == 0 ? [] : [lost, lost],
                                         contribution: Money(minorUnits: Int64.max))
            let purchase = PurchaseAttribution(transactionId: text, status: text, amount: Money(minorUnits: 5), kind: .failedPurchaseDeducted,
                                               contribution: Money(minorUnits: -5))
            for value in [Decomposition(topUps: [topUp, topUp], purchases: index % 3 == 0 ? [] : [purchase], total: .zero, classification: SignatureKind.allCases),
                          Decomposition(topUps: [], purchases: [], total: Money(minorUnits: -1), classification: [])] {
                let expected = Array(try OutputJSON.makeEncoder().encode(value))
                for level in [0, 2] {
                    var laidOut: [UInt8] = []
                    SplicedJSONWriter.layOut(CanonicalJSONWriter.encodeBytes(value), level: level, into: &laidOut)
                    // At a deeper level every line but a blank one is indented by that much more.
                    let indent = String(repeating: " ", count: 2 * level)
                    let shifted = String(decoding: expected, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
                        .map { $0.isEmpty ? "" : indent + $0 }.joined(separator: "\n")
                    #expect(String(decoding: laidOut, as: UTF8.self) == shifted, "\(text.debugDescription) at level \(level)")
                }
            }
        }
    }
}
