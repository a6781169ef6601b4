import Foundation

/// The reliability suite's one master seed and its size, from the environment:
/// `REMEDY_RELIABILITY_SEED` replays a run (every kill point, shop and traffic pattern derives
/// from it), `REMEDY_RELIABILITY_SCALE=N` (default 1) multiplies rounds and users.
enum ReliabilitySettings {
    static let seedVariable = "REMEDY_RELIABILITY_SEED"
    static let scaleVariable = "REMEDY_RELIABILITY_SCALE"

    static let seed: UInt64 = {
        let seed = ProcessInfo.processInfo.environment[seedVariable].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)
        print("reliability: master seed \(seed), scale \(scale) (replay: \(seedVariable)=\(seed) \(scaleVariable)=\(scale) swift test --filter ReliabilitySuite)")
        return seed
    }()

    static let scale: Int = max(1, ProcessInfo.processInfo.environment[scaleVariable].flatMap { Int($0) } ?? 1)

    /// What a failure message carries so the run can be replayed.
    static var replay: String { "[replay: \(seedVariable)=\(seed) \(scaleVariable)=\(scale)]" }

    /// An independent generator for one part of the suite, derived from the master seed and a
    /// name (FNV-1a, stable across processes, unlike Swift's Hasher).
    static func random(_ purpose: String) -> SplitMix64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in purpose.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return SplitMix64(seed: seed ^ hash)
    }
}

extension ReliabilitySettings {
    /// A simulator seed for one test's shop, derived from the master seed.
    static func shopSeed(_ purpose: String) -> UInt64 {
        var random = random(purpose)
        return random.next() % 1_000_000 + 1
    }
}

extension SplitMix64: RandomNumberGenerator {
    /// A uniform integer in `range`.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    mutating func element<T>(of array: [T]) -> T {
        array[int(in: 0...(array.count - 1))]
    }

    /// True with probability `percent`/100.
    mutating func chance(_ percent: Int) -> Bool {
        int(in: 0...99) < percent
    }
}
