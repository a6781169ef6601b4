import Foundation
import Rupiah
import Testing
@testable import RemedyCore

/// remedy evidence's external sort: whatever order checks arrive in and however many runs they
/// span, they leave in the list's order (reference, then transaction id), each transaction once,
/// the check of a top-up a line names preferred to the same top-up found among the never-completed.
@Suite("Gateway check sorter")
struct GatewayCheckSorterTests {
    @Test(arguments: [1, 7, 1_000, 100_000])
    func everyCheckOnceInTheListsOrder(runChecks: Int) throws {
        let directory = NSTemporaryDirectory() + "remedy-sorter-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sorter = GatewayCheckSorter(directory: directory, stem: "test", runChecks: runChecks)
        var generator = SystemRandomNumberGenerator()
        var expected: [String: GatewayReferenceCheck] = [:]
        for index in (0..<3_000).shuffled(using: &generator) {
            // References shared by two transactions, ids that sort differently as text and as numbers.
            let reference = "T\(index / 2)"
            let check = GatewayReferenceCheck(reference: reference, userId: "u\(index % 97)", transactionId: "\(index * 7 % 1_013)-\(index)",
                                              shopStatus: "completed", verdict: .confirmed, reason: nil, amountReceived: Money(minorUnits: 918_000), sha256: "s\(index)")
            expected[reference + "/" + check.transactionId] = check
            try sorter.add(check, named: true)
            if index % 5 == 0 {
                // The same top-up again, as a never-completed one: dropped, whichever comes first.
                var again = check
                again.verdict = .notPaid
                try sorter.add(again, named: false)
            }
        }
        var out: [GatewayReferenceCheck] = []
        try sorter.finish { out.append($0) }
        #expect(out.count == expected.count)
        #expect(zip(out, out.dropFirst()).allSatisfy { GatewayReferenceCheck.inOrder($0, $1) })
        #expect(out.allSatisfy { expected[$0.reference + "/" + $0.transactionId] == $0 }, "the named check is the one kept")
        sorter.remove()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "its runs are removed")
    }
}
