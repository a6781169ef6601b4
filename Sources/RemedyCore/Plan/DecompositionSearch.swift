/// Exact, bounded decomposition of an amount into per-item choices: each item picks one option
/// (option 0 is "nothing", value 0, its mask possibly a mark of what leaving it out means), values
/// may be negative, and each option carries the signature kinds it stands for as a bit mask. The search counts decompositions per combined
/// mask, so a caller can tell "one classification, several ways" from "two classifications".
///
/// A memoized walk over (item, remaining amount), pruned by what the remaining items can still
/// add or remove, and bounded by a state budget: past it the answer is "undecided", never a guess.
struct DecompositionSearch {
    struct Option: Equatable {
        let value: Int64
        let mask: UInt16
    }

    /// Counts per mask saturate here.
    static let maxCount = 1_000_000

    let table: [[Option]]
    let maxStates: Int
    private let suffixMinimum: [Int64]
    private let suffixMaximum: [Int64]
    private var memo: [State: [UInt16: Int]] = [:]
    private(set) var states = 0
    private(set) var exhausted = false

    private struct State: Hashable { let index: Int; let remaining: Int64 }

    init(table: [[Option]], maxStates: Int) {
        precondition(table.allSatisfy { $0.first?.value == 0 }, "option 0 of every item is nothing")
        self.table = table
        self.maxStates = maxStates
        var minimum = [Int64](repeating: 0, count: table.count + 1)
        var maximum = [Int64](repeating: 0, count: table.count + 1)
        for index in stride(from: table.count - 1, through: 0, by: -1) {
            let values = table[index].map(\.value)
            minimum[index] = minimum[index + 1].addingReportingOverflow(values.min() ?? 0).partialValue
            maximum[index] = maximum[index + 1].addingReportingOverflow(values.max() ?? 0).partialValue
        }
        suffixMinimum = minimum
        suffixMaximum = maximum
    }

    /// The largest total any choice reaches.
    var largestTotal: Int64 { suffixMaximum[0] }

    /// Decompositions of `target` per combined mask (empty when none, or when exhausted).
    mutating func countByMask(target: Int64) -> [UInt16: Int] {
        let result = count(from: 0, remaining: target)
        return exhausted ? [:] : result
    }

    private mutating func count(from index: Int, remaining: Int64) -> [UInt16: Int] {
        if remaining < suffixMinimum[index] || remaining > suffixMaximum[index] { return [:] }
        if index == table.count { return remaining == 0 ? [0: 1] : [:] }
        let state = State(index: index, remaining: remaining)
        if let known = memo[state] { return known }
        states += 1
        if states > maxStates { exhausted = true; return [:] }
        var ways: [UInt16: Int] = [:]
        for option in table[index] {
            let (next, overflow) = remaining.subtractingReportingOverflow(option.value)
            guard !overflow else { continue }
            for (mask, count) in self.count(from: index + 1, remaining: next) {
                ways[mask | option.mask, default: 0] = min(DecompositionSearch.maxCount, ways[mask | option.mask, default: 0] + count)
            }
            if exhausted { return [:] }
        }
        memo[state] = ways
        return ways
    }

    /// The first decomposition in option order whose combined mask is `mask` (any mask when nil).
    mutating func witness(target: Int64, mask: UInt16? = nil) -> [Int]? {
        var picks: [Int] = []
        var remaining = target
        var chosen: UInt16 = 0
        for index in 0..<table.count {
            var found: Int?
            for (pick, option) in table[index].enumerated() {
                let (next, overflow) = remaining.subtractingReportingOverflow(option.value)
                guard !overflow else { continue }
                let rest = count(from: index + 1, remaining: next)
                if let mask {
                    // The rest must be able to complete exactly this mask.
                    guard chosen | option.mask | mask == mask, rest.keys.contains(where: { chosen | option.mask | $0 == mask }) else { continue }
                } else if rest.isEmpty {
                    continue
                }
                found = pick
                break
            }
            guard let pick = found else { return nil }
            picks.append(pick)
            remaining -= table[index][pick].value
            chosen |= table[index][pick].mask
        }
        return remaining == 0 ? picks : nil
    }

    /// The reachable total nearest `target` (other than 0), kept to a bounded set: best effort.
    func closestTotal(to target: Int64, maxSums: Int = 20_000) -> Int64? {
        var sums: Set<Int64> = [0]
        for options in table {
            var next = Set<Int64>()
            for sum in sums { for option in options { next.insert(sum &+ option.value) } }
            if next.count > maxSums {
                next = Set(next.sorted { abs($0 &- target) < abs($1 &- target) }.prefix(maxSums))
            }
            sums = next
        }
        return sums.filter { $0 != 0 }.min { (abs($0 &- target), $0) < (abs($1 &- target), $1) }
    }
}
