import Crypto
import Foundation

/// A correction's idempotency key, with its generation. The book accepts each key once (the
/// unique constraint on remedy.entries), so a correction can never be booked twice. A correction
/// that `remedy revert` put back is no longer live; the same excess may then be taken once more,
/// under the next generation's key: the first booking has the plain key (`<sha256>`, as every key
/// before generations), the one after its revert `<sha256>/1`, then `<sha256>/2`… Each key is
/// still booked at most once, and generation g is live only once generation g−1 was reverted.
public enum CorrectionKey {
    /// The key of generation `generation` of the correction whose first key is `base`.
    public static func key(base: String, generation: Int) -> String {
        generation == 0 ? base : "\(base)/\(generation)"
    }

    /// The generation a key names, given the base key recomputed from its line; nil when the key
    /// is not one of that base's.
    public static func generation(of key: String, base: String) -> Int? {
        if key == base { return 0 }
        guard key.hasPrefix(base + "/"), let generation = Int(key.dropFirst(base.count + 1)), generation > 0,
              key == self.key(base: base, generation: generation) else { return nil }
        return generation
    }

    /// The key a new plan gives the correction: the first generation not yet reverted, given the
    /// keys of the revert entries booked for the job.
    static func next(base: String, revertKeys: Set<String>) -> String {
        var generation = 0
        while revertKeys.contains(RevertPlanner.revertKey(of: key(base: base, generation: generation))) { generation += 1 }
        return key(base: base, generation: generation)
    }

    /// The key of the generation before this one (nil for a first booking): it must have been
    /// reverted for this one to be bookable.
    static func previous(of key: String) -> String? {
        // By UTF-8 byte, not Character: apply asks this of every line, under its row locks.
        guard let slash = key.utf8.lastIndex(of: UInt8(ascii: "/")), let generation = Int(key[key.index(after: slash)...]), generation > 0 else { return nil }
        return self.key(base: String(key[..<slash]), generation: generation - 1)
    }
}
