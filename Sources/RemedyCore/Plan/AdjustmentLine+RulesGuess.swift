import Foundation

extension AdjustmentLine {
    /// What a skim of plan.json's bytes finds of the header fields the rules read. Canonical order
    /// puts them after the adjustments (`"adjustments"` sorts first), so the reading pass meets every
    /// line before it can decode them; with this guess it checks each line as it goes, instead of
    /// decoding every line a second time once the header is known (3.6 s of CPU at 1,000,000 users).
    ///
    /// Nothing is trusted from the skim. The pass checks each line against both values of
    /// `trigger_refires` (it sits in the evidence object, which the skim does not look for), and
    /// its verdicts count only when the header, read once the pass has checked every byte,
    /// gives one of those contexts exactly (`RulesContext` is all the rules read). A plan crafted
    /// to mislead the skim only costs the second pass.
    struct RulesGuess: Sendable {
        let contexts: [RulesContext]

        /// The top-level `],"job":"…","job_version":N,"kind":"…","negative_balance_policy":"…"`,
        /// as remedy writes it (the holds' array always comes just before the job), or nil.
        static func skim(_ file: PlanFile) -> RulesGuess? {
            var search = PatternSearch(file: file)
            while let offset = search.next() {
                if let guess = header(at: offset, in: file) { return guess }
            }
            return nil
        }

        /// Bytes read for the header fields after a match: a longer job name leaves the guess to
        /// fail, which costs only the second pass.
        private static let windowBytes = 512

        /// The header fields at `offset` (just after a `],"job":"`), in remedy's form, or nil.
        private static func header(at offset: Int, in file: PlanFile) -> RulesGuess? {
            var cursor = SkimCursor(bytes: file.bytes(windowBytes, at: offset))
            guard let job = cursor.plainString(), cursor.expect(#","job_version":"#), cursor.digits(),
                  cursor.expect(#","kind":""#), let kind = cursor.plainString().flatMap(Plan.Kind.init(rawValue:)),
                  cursor.expect(#","negative_balance_policy":""#),
                  let policy = cursor.plainString().flatMap(NegativeBalancePolicy.init(rawValue:)) else { return nil }
            return RulesGuess(contexts: [false, true].map {
                RulesContext(kind: kind, job: job, negativeBalancePolicy: policy, triggerRefires: $0)
            })
        }
    }
}

/// Finds `],"job":"` in plan.json, a chunk at a time: its rarest byte (`j`) with memchr, the rest
/// compared. Bounded: at most one lookalike per 64 bytes read (and never fewer than 1,024), so a
/// plan whose customer names are all `j` cannot make the skim cost more than a fraction of the pass.
private struct PatternSearch {
    static let pattern = Array(#"],"job":""#.utf8)
    static let anchorAt = 3
    static let chunkBytes = 4 << 20

    let file: PlanFile
    private var chunk: [UInt8] = []
    private var chunkStart = 0
    /// Where the next chunk starts; nil once the file's end (or the bound) is reached.
    private var nextChunkStart: Int? = 0
    /// The next place in `chunk` an anchor may be.
    private var position = 0
    private var candidates = 0

    init(file: PlanFile) {
        self.file = file
        precondition(Self.pattern[Self.anchorAt] == UInt8(ascii: "j"))
    }

    /// The offset just after the next match, or nil at the end (or past the bound).
    mutating func next() -> Int? {
        while true {
            // An anchor is judged in the chunk where its whole pattern fits; chunks overlap by
            // the pattern's length less one, so each is judged exactly once.
            let last = chunk.count - (Self.pattern.count - Self.anchorAt)
            if position > last {
                guard let start = nextChunkStart else { return nil }
                chunk = file.bytes(Self.chunkBytes, at: start)
                chunkStart = start
                nextChunkStart = chunk.count == Self.chunkBytes ? start + chunk.count - (Self.pattern.count - 1) : nil
                position = Self.anchorAt
                continue
            }
            let hit: Int? = chunk.withUnsafeBytes { raw in
                memchr(raw.baseAddress! + position, Int32(Self.pattern[Self.anchorAt]), last + 1 - position).map { raw.baseAddress!.distance(to: UnsafeRawPointer($0)) }
            }
            guard let hit else {
                position = last + 1
                continue
            }
            position = hit + 1
            candidates += 1
            guard candidates <= max(1_024, (chunkStart + chunk.count) / 64) else {
                nextChunkStart = nil
                position = chunk.count
                return nil
            }
            let start = hit - Self.anchorAt
            if chunk[start..<(start + Self.pattern.count)].elementsEqual(Self.pattern) { return chunkStart + start + Self.pattern.count }
        }
    }
}

/// Reads the few header fields the skim looks at, in the one form remedy writes them.
private struct SkimCursor {
    let bytes: [UInt8]
    var index = 0

    mutating func expect(_ text: String) -> Bool {
        let expected = Array(text.utf8)
        guard bytes.count - index >= expected.count, bytes[index..<(index + expected.count)].elementsEqual(expected) else { return false }
        index += expected.count
        return true
    }

    /// Up to the closing `"` (consumed), a string without escapes or control bytes (a job name,
    /// a kind, a policy); nil otherwise.
    mutating func plainString() -> String? {
        let start = index
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\"), bytes[index] >= 0x20 { index += 1 }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\""), index > start else { return nil }
        defer { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    mutating func digits() -> Bool {
        let start = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        return index > start
    }
}
