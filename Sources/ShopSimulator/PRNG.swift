/// The simulator's only source of randomness: seeded, platform-independent, never the system
/// generator. Each user gets a stream of their own, derived from (seed, user number), so a user's
/// history does not depend on how many users came before or on the order they are generated in.

/// SplitMix64: used to expand a seed into well-mixed state words.
struct SplitMix64 {
    private(set) var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** (Blackman and Vigna), the generator the stories draw from (and the benchmark's
/// choice of users, which must not vary between runs either).
public struct SimulationRandom: RandomNumberGenerator {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        s0 = mixer.next(); s1 = mixer.next(); s2 = mixer.next(); s3 = mixer.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the all-zero state is a fixed point
    }

    /// The stream for one user (or one golden case) of one simulation seed.
    init(seed: UInt64, stream: UInt64) {
        var mixer = SplitMix64(seed: seed ^ 0x5EED_5EED_0000_1A7E)
        let base = mixer.next()
        var streamMixer = SplitMix64(seed: base &+ stream &* 0xD1B5_4A32_D192_ED03)
        self.init(seed: streamMixer.next())
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    // Helpers that consume a fixed number of words, so histories stay stable across platforms
    // (the standard library's `random(in:)` algorithms are not promised to stay the same).

    /// Uniform in `0..<bound` (bound > 0), by Lemire's multiply-shift with rejection.
    mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        while true {
            let product = next().multipliedFullWidth(by: b)
            if product.low >= (0 &- b) % b { return Int(product.high) }
        }
    }

    /// Uniform in the closed range.
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    mutating func int64(_ range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(below(Int(range.upperBound - range.lowerBound) + 1))
    }

    /// True with probability `numerator / denominator`.
    mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { below(denominator) < numerator }

    /// Uniform in [0, 1) with 53 bits; used only to shape distributions, never for money.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// An element chosen by integer weights.
    mutating func weighted<T>(_ choices: [(T, Int)]) -> T {
        let total = choices.reduce(0) { $0 + $1.1 }
        var pick = below(total)
        for (value, weight) in choices {
            if pick < weight { return value }
            pick -= weight
        }
        return choices[choices.count - 1].0
    }

    mutating func element<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// A version-4 UUID from the stream, as lowercase text.
    mutating func uuid() -> SimulatedID { SimulatedID(high: next(), low: next()) }
}

/// A UUID drawn from the simulation stream (version 4, RFC 4122 variant), kept as two words
/// until it is written out.
struct SimulatedID: Hashable, Sendable {
    let high: UInt64
    let low: UInt64

    init(high: UInt64, low: UInt64) {
        self.high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000
        self.low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
    }

    /// `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`
    var text: String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var bytes = [UInt8](repeating: UInt8(ascii: "-"), count: 36)
        var position = 0
        func put(_ word: UInt64, _ nibbles: Int) {
            for shift in stride(from: (nibbles - 1) * 4, through: 0, by: -4) {
                if position == 8 || position == 13 || position == 18 || position == 23 { position += 1 }
                bytes[position] = digits[Int((word >> UInt64(shift)) & 0xF)]
                position += 1
            }
        }
        put(high, 16)
        put(low, 16)
        return String(decoding: bytes, as: UTF8.self)
    }
}
