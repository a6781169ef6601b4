import Foundation
import Rupiah
import Testing
import TestSupport
@testable import RemedyCore

/// Export's lines and customer notices are written by CanonicalJSONWriter (`export --format json`,
/// `export --notices --format json`): the very bytes CanonicalJSON (JSONEncoder) gives. Values made
/// here, no cluster; ExportStreamingTests compares whole exports of a simulated shop.
@Suite("Export's JSON lines: the hand writer writes what JSONEncoder writes")
struct ExportCanonicalJSONTests {
    /// `export --format json` writes its lines by hand: every outcome and section, every optional
    /// present and absent, awkward text in every string.
    @Test func exportLinesEveryOutcomeSectionAndOptional() throws {
        let lost = LostPurchaseCandidate(transactionId: "x\n", completedAt: "2025-11-20T00:00:00.000000Z", amount: Money(minorUnits: 1), afterReference: "é")
        let topUp = TopUpAttribution(transactionId: "t\"", reference: "r\\", paidAt: "p", amount: Money(minorUnits: 1_000_000), amountReceived: Money(minorUnits: 918_000),
                                     handlerRuns: 2, triggerRefires: 1, lostPurchases: [lost], contribution: Money(minorUnits: -918_000))
        for (index, text) in AwkwardJSONText.all.enumerated() {
            for outcome in LineOutcome.allCases {
                for section in [ExportLine.Section.adjustment, .hold, .settled] {
                    let present = (index + section.rawValue.count) % 2 == 0
                    // Every member a value of its own, so that two members swapped cannot pass.
                    func amount(_ member: Int64) -> Money { Money(minorUnits: Int64(index) * -123_456_789 + member) }
                    try expectSame(ExportLine(
                        userId: "u" + text, label: "l" + text, contact: present ? "c" + text : nil, section: section, outcome: outcome,
                        reasonCode: "rc" + text, reason: "r" + text, balance: present ? amount(1) : nil, ledger: present ? amount(2) : nil,
                        openReceivables: present ? amount(3) : nil, excess: amount(4), plannedDelta: amount(5), delta: amount(6),
                        receivable: Money(minorUnits: Int64.max), balanceBefore: present ? nil : amount(7), balanceAfter: present ? nil : amount(8),
                        currentExcess: present ? nil : amount(9), evidence: present ? [topUp, topUp] : [], evidenceText: "e" + text,
                        decompositions: index * 1_000_003 - 7, runId: present ? nil : "run" + text, bookedByPlan: present ? nil : "b" + text,
                        idempotencyKey: present ? "k" + text : nil))
                }
            }
        }
    }

    /// `export --notices --format json` writes its notices by hand too: every outcome, a contact
    /// present and absent, no references and several, every member a value of its own.
    @Test func customerNoticesEveryOutcomeAndOptional() throws {
        for (index, text) in AwkwardJSONText.all.enumerated() {
            for outcome in LineOutcome.allCases {
                try expectSame(CustomerNotice(
                    userId: "u" + text, label: "l" + text, contact: index % 2 == 0 ? nil : "c" + text, outcome: outcome,
                    amount: Money(minorUnits: Int64(index) * 918_000), amountRupiah: "Rp " + text, owed: Money(minorUnits: -Int64(index)),
                    references: Array(repeating: "r" + text, count: index % 3), messageId: "id" + text, messageEn: "en" + text))
            }
        }
    }

    private func expectSame<Value: CanonicalJSONWritable & Encodable>(_ value: Value, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try CanonicalJSON.encode(value)
        let written = CanonicalJSONWriter.encode(value)
        #expect(written == expected, "\(String(decoding: written, as: UTF8.self))\n≠ \(String(decoding: expected, as: UTF8.self))", sourceLocation: sourceLocation)
    }
}
