import RemedyCore
import Testing

extension ApplyState {
    /// After a death, each batch is either wholly booked (its users at the uninterrupted run's
    /// balance) or not at all (its users untouched); nobody outside the plan moves; every
    /// discovered entry has its reversal.
    func expectEachBatchWhollyDoneOrNot(batches: [[AdjustmentLine]], balances: [String: String], original: [String: String],
                                        reference: [String: String], context: String,
                                        sourceLocation: SourceLocation = #_sourceLocation) {
        var planned = Set<String>()
        for (index, batch) in batches.enumerated() {
            let done = batch.filter { discoveredKeys.contains($0.idempotencyKey) }.count
            #expect(done == 0 || done == batch.count, "batch \(index + 1) is half booked (\(done) of \(batch.count)) \(context)", sourceLocation: sourceLocation)
            for line in batch {
                planned.insert(line.userId)
                let expected = discoveredKeys.contains(line.idempotencyKey) ? reference[line.userId] : original[line.userId]
                #expect(balances[line.userId] == expected,
                        "batch \(index + 1), user \(line.userId): balance \(balances[line.userId] ?? "none"), expected \(expected ?? "none") \(context)",
                        sourceLocation: sourceLocation)
            }
        }
        let moved = original.keys.filter { !planned.contains($0) && balances[$0] != original[$0] }
        #expect(moved.isEmpty, "users outside the plan moved: \(moved.prefix(3)) \(context)", sourceLocation: sourceLocation)
        #expect(reversalKeys == discoveredKeys, "every discovered entry has its reversal \(context)", sourceLocation: sourceLocation)
    }
}
