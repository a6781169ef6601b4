import Foundation
import Testing
@testable import RemedyCore

/// The skim that lets the reading pass check every line's rules without a second decode: it
/// must find the header fields wherever the chunks fall, pass over lookalikes, and give up
/// (leaving the second pass to do the work) rather than guess from bytes not in remedy's form.
@Suite struct RulesGuessTests {
    static let header = #"],"job":"tripay-double-credit","job_version":3,"kind":"correction","negative_balance_policy":"clamp","parameters":{}"#

    @Test func theHeaderFieldsAreFoundAfterTheHolds() throws {
        let guess = try Self.skim(#"{"adjustments":[{"label":"Joko"}],"evidence":{},"holds":[{"label":"j"}"# + Self.header + "}")
        #expect(guess?.contexts == [false, true].map {
            AdjustmentLine.RulesContext(kind: .correction, job: "tripay-double-credit", negativeBalancePolicy: .clamp, triggerRefires: $0)
        })
    }

    /// The skim reads 4 MiB at a time: a pattern across any chunk boundary is found, once.
    @Test func aPatternAcrossAChunkBoundaryIsFound() throws {
        let chunk = 4 << 20
        let opening = #"{"adjustments":[""#
        for shift in 0...12 {
            // The pattern's "]" at `chunk - shift`: its "j" 3 bytes later, from 9 before the boundary to 3 after.
            let padding = String(repeating: "x", count: chunk - shift - opening.utf8.count - 1)
            let guess = try Self.skim(opening + padding + "\"" + Self.header + "}")
            #expect(guess?.contexts.first?.job == "tripay-double-credit", "pattern \(shift) bytes before the boundary")
        }
    }

    @Test func lookalikesArePassedOverAndMalformedHeadersGiveNoGuess() throws {
        // Not remedy's form: the next match is taken, or none is found.
        let lookalikes = #"{"a":[],"job":1,"b":[],"job":"x","job_version":1,"kind":"sideways","negative_balance_policy":"clamp"}"#
        #expect(try Self.skim(lookalikes + Self.header) != nil)
        #expect(try Self.skim(lookalikes) == nil)
        #expect(try Self.skim(#"{"holds":[],"job":"trip\"ay","job_version":3,"kind":"correction","negative_balance_policy":"clamp"}"#) == nil)
        #expect(try Self.skim(#"{"holds":[],"job":"tripay","job_version":,"kind":"correction","negative_balance_policy":"clamp"}"#) == nil)
        #expect(try Self.skim("") == nil)
    }

    /// Customer names full of `j` cannot make the skim cost more than a fraction of the pass: past
    /// one lookalike per 64 bytes it gives up, and the second pass checks the rules.
    @Test func aFloodOfLookalikesEndsTheSkim() throws {
        let flood = String(repeating: "j", count: 200_000)
        #expect(try Self.skim(#"{"adjustments":[{"label":""# + flood + #""}],"holds":["# + Self.header + "}") == nil)
        let few = String(repeating: "j", count: 1_000)
        #expect(try Self.skim(#"{"adjustments":[{"label":""# + few + #""}],"holds":["# + Self.header + "}") != nil)
    }

    static func skim(_ document: String) throws -> AdjustmentLine.RulesGuess? {
        let path = NSTemporaryDirectory() + "remedy-rules-guess-" + UUID().uuidString
        try Data(document.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try #require(PlanFile(path: path))
        return AdjustmentLine.RulesGuess.skim(file)
    }
}
