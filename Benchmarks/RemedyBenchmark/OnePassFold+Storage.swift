/// The compact storage the one-pass fold holds its figures in: what a detect reading the table
/// once would need to stay within 150 MB at 1,000,000 users (docs/ONE-PASS-DETECT.md).

/// Sums in sen by user, in one open-addressed table: 24 bytes a slot (the uuid's two halves and
/// the sum, in three parallel arrays) and a bit for whether it is taken; linear probing; doubled
/// when 7/8 full. The hash mixes both halves and is not keyed, which does for a simulated shop's
/// random uuids; a product table would key it per run, so crafted ids could not pile into one run
/// of slots.
struct LedgerTable {
    private var highs: [UInt64]
    private var lows: [UInt64]
    private var sums: [Int64]
    private var taken: [UInt64]
    private(set) var count = 0
    /// The most bytes held at once: while the table doubles, the old one and the new.
    private(set) var peakBytes = 0

    init(capacity: Int = 1 << 16) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "a power of two")
        highs = Array(repeating: 0, count: capacity)
        lows = Array(repeating: 0, count: capacity)
        sums = Array(repeating: 0, count: capacity)
        taken = Array(repeating: 0, count: (capacity + 63) / 64)
        peakBytes = Self.bytes(capacity: capacity)
    }

    var capacity: Int { highs.count }
    var bytes: Int { Self.bytes(capacity: capacity) }
    static func bytes(capacity: Int) -> Int { capacity * 24 + (capacity + 63) / 64 * 8 }

    /// Adds `sen` to the user's sum (a user met for the first time starts at zero).
    mutating func add(high: UInt64, low: UInt64, sen: Int64) throws {
        if (count + 1) * 8 > capacity * 7 { try grow() }
        var slot = Self.slot(high: high, low: low, mask: capacity - 1)
        for _ in 0..<capacity {
            if !isTaken(slot) {
                setTaken(slot)
                (highs[slot], lows[slot], sums[slot]) = (high, low, sen)
                count += 1
                return
            }
            if highs[slot] == high, lows[slot] == low {
                let (sum, overflow) = sums[slot].addingReportingOverflow(sen)
                guard !overflow else { throw BenchmarkError("a user's ledger is beyond Int64 sen") }
                sums[slot] = sum
                return
            }
            slot = (slot + 1) & (capacity - 1)
        }
        preconditionFailure("a table 7/8 full at most always has a free slot")
    }

    private mutating func grow() throws {
        var bigger = LedgerTable(capacity: capacity * 2)
        peakBytes = max(peakBytes, bytes + bigger.bytes)
        for slot in 0..<capacity where isTaken(slot) {
            try bigger.add(high: highs[slot], low: lows[slot], sen: sums[slot])
        }
        bigger.peakBytes = peakBytes
        self = bigger
    }

    /// Every user's sum, summarised whatever the order they are held in: the benchmark compares it
    /// with the same sum of `fingerprint(high:low:sen:)` over the client's own sums.
    var fingerprint: UInt64 {
        (0..<capacity).reduce(UInt64(0)) { isTaken($1) ? $0 &+ Self.fingerprint(high: highs[$1], low: lows[$1], sen: sums[$1]) : $0 }
    }

    static func fingerprint(high: UInt64, low: UInt64, sen: Int64) -> UInt64 {
        UInt64(truncatingIfNeeded: slot(high: high ^ UInt64(bitPattern: sen), low: low &+ UInt64(bitPattern: sen), mask: -1))
    }

    private static func slot(high: UInt64, low: UInt64, mask: Int) -> Int {
        var mixed = high ^ (low &* 0x9E37_79B9_7F4A_7C15)
        mixed ^= mixed >> 29
        mixed &*= 0xBF58_476D_1CE4_E5B9
        mixed ^= mixed >> 32
        return Int(truncatingIfNeeded: mixed) & mask
    }

    private func isTaken(_ slot: Int) -> Bool { taken[slot >> 6] & (1 << UInt64(slot & 63)) != 0 }
    private mutating func setTaken(_ slot: Int) { taken[slot >> 6] |= 1 << UInt64(slot & 63) }
}

/// An append-only list in chunks of `chunkElements`, each reserved whole: no doubling, so at most
/// one chunk's slack, and no copy of what is already held when it grows.
struct ChunkedList<Element> {
    static var chunkElements: Int { 65_536 }
    private var chunks: [[Element]] = []
    private(set) var count = 0

    mutating func append(_ element: Element) {
        if chunks.isEmpty || chunks[chunks.count - 1].count == Self.chunkElements {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkElements)
            chunks.append(chunk)
        }
        chunks[chunks.count - 1].append(element)
        count += 1
    }

    var bytes: Int { chunks.count * Self.chunkElements * MemoryLayout<Element>.stride }
}
