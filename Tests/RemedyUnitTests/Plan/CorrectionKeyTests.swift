import Testing
@testable import RemedyCore

/// A correction's generations: apply books generation g only when g − 1 was reverted, so each key
/// must name its predecessor exactly, and nothing that is not a generation key may seem to.
@Suite struct CorrectionKeyTests {
    let base = String(repeating: "ab", count: 32)

    @Test func eachGenerationNamesTheOneBefore() {
        #expect(CorrectionKey.previous(of: base) == nil)
        for generation in 1...12 {
            let key = CorrectionKey.key(base: base, generation: generation)
            #expect(CorrectionKey.previous(of: key) == CorrectionKey.key(base: base, generation: generation - 1))
            #expect(CorrectionKey.generation(of: key, base: base) == generation)
        }
    }

    @Test func keysThatAreNotGenerationsHaveNoPredecessor() {
        for key in ["\(base)/0", "\(base)/-1", "\(base)/", "\(base)/x", "\(base)/1/", "", "/"] {
            #expect(CorrectionKey.previous(of: key) == nil, "\(key)")
        }
        // The last slash counts: a key with two is read by its final generation.
        #expect(CorrectionKey.previous(of: "\(base)/a/2") == "\(base)/a/1")
    }
}
