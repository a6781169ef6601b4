import Foundation
import Testing
@testable import RemedyCore

/// Issue 10, item 1: one reader of plan.json for every command, and only remedy's canonical form.
/// On main, show/approve/export decoded plan.json with JSONDecoder and apply streamed it with its
/// own scanner, so one file with one digest could show approvers one list and apply another.
@Suite("Adversarial: plan.json read two ways")
struct PlanFormAttackTests {
    /// The planner hides the real lines under the raw key "adjustments" and shows approvers an
    /// empty list under an escaped twin ("adjustm\u0065nts"), which JSONDecoder takes as the same key.
    @Test func anEscapedTwinKeyIsRefusedByEveryCommandNamingItsOffset() throws {
        let shop = try EndToEndShop(users: 150, seed: 1_010)
        let (bytes, plan) = try PlanForgery.legitimate(shop)
        try #require(!plan.adjustments.isEmpty, "the shop must have something to take back")
        var shown = plan
        shown.adjustments = []
        shown.totals = try PlanTotals(adjustments: [], holds: plan.holds, settled: plan.settled, usersExamined: plan.totals.usersExamined)
        let shownBytes = String(decoding: try PlanForgery.encode(shown), as: UTF8.self)
        let realLines = String(decoding: bytes, as: UTF8.self)
        let hidden = String(realLines[realLines.range(of: #""adjustments":["#)!.lowerBound..<realLines.range(of: #"],"database":"#)!.lowerBound]) + "],"
        // {"adjustments":[real…],"adjustm\u0065nts":[],…everything approvers are shown…}
        let twin = shownBytes.replacingOccurrences(of: #"{"adjustments":[]"#, with: "{" + hidden + #""adjustm\u0065nts":[]"#)
        let forged = try PlanForgery.record(Data(twin.utf8), claiming: shown, signedWith: shop.key("andi"), in: shop)
        // The first byte that differs from the canonical encoding: the escaped key's "a", after
        // "{", the hidden lines (left out of the fields' check) and the key's opening quote.
        let offset = hidden.utf8.count + 2
        try PlanForgery.expectEveryCommandRefuses(forged, claiming: shown, in: shop, mentioning: ["canonical form", "byte \(offset)"])
    }

    /// Every way a file can differ from remedy's own bytes while JSON readers still accept it:
    /// refused, naming the byte where it starts to differ.
    @Test func nonCanonicalVariantsAreRefusedWithTheirOffset() throws {
        let shop = try EndToEndShop(users: 120, seed: 1_011)
        let (bytes, plan) = try PlanForgery.legitimate(shop)
        let text = String(decoding: bytes, as: UTF8.self)
        let firstLine = try #require(text.range(of: #"{"ambiguous":"#))
        func at(_ range: Range<String.Index>) -> Int { text.utf8.distance(from: text.startIndex, to: range.lowerBound) }
        let job = try #require(text.range(of: #""job":""#))
        let delta = try #require(text.range(of: #""delta":"-"#))
        let label = try #require(text.range(of: #""label":""#))
        // The first two parameters, swapped.
        let parameters = try #require(text.range(of: #""parameters":\{"[a-z0-9_]+":"[^"]*","[a-z0-9_]+":"[^"]*""#, options: .regularExpression))
        let swappedParameters: (document: String, offset: Int) = try {
            let pairs = text[parameters].dropFirst(#""parameters":{"#.count)
            let comma = try #require(pairs.range(of: #"",""#)).lowerBound
            let (first, second) = (pairs[..<pairs.index(after: comma)], pairs[pairs.index(comma, offsetBy: 2)...])
            let swapped = #""parameters":{"# + second + "," + first
            return (text.replacingCharacters(in: parameters, with: swapped), at(parameters) + 14 + second.utf8.count + 1)
        }()
        // Where each must be refused: the first byte that differs from remedy's encoding.
        let variants: [(what: String, document: String, offsets: ClosedRange<Int>)] = [
            // The second key's "m", where remedy writes "attribution".
            ("a repeated key inside a line", text.replacingCharacters(in: firstLine, with: #"{"ambiguous":true,"ambiguous":"#), (at(firstLine) + 20)...(at(firstLine) + 20)),
            ("an unknown key in a line", text.replacingCharacters(in: firstLine, with: #"{"aaa":1,"ambiguous":"#), (at(firstLine) + 3)...(at(firstLine) + 3)),
            ("whitespace between lines", text.replacingOccurrences(of: "},{\"ambiguous\"", with: "}, {\"ambiguous\""),
             (at(text.range(of: "},{\"ambiguous\"")!) + 2)...(at(text.range(of: "},{\"ambiguous\"")!) + 2)),
            ("an escaped letter in a value", text.replacingCharacters(in: job, with: #""job":"\u0074"#), (at(job) + 7)...(at(job) + 7)),
            // The same amount spelled another way (a leading zero), named where the amount starts.
            ("an amount in another spelling", text.replacingCharacters(in: delta, with: #""delta":"-0"#), (at(delta) + 9)...(at(delta) + 9)),
            ("an escape remedy never writes", text.replacingCharacters(in: label, with: #""label":"\/"#), (at(label) + 9)...(at(label) + 9)),
            ("trailing bytes", text + "\n", bytes.count...bytes.count),
            // The header is read by the lines' reader: the second "job" key's closing quote, where
            // remedy writes "job_version".
            ("a repeated top-level key", text.replacingOccurrences(of: #""job":""#, with: #""job":"x","job":""#), (at(job) + 14)...(at(job) + 14)),
            ("whitespace in the header", text.replacingCharacters(in: job, with: #""job": ""#), (at(job) + 6)...(at(job) + 6)),
            // A map's keys are read in order: the key that comes too late is named.
            ("parameters out of order", swappedParameters.document, swappedParameters.offset...swappedParameters.offset),
        ]
        for variant in variants {
            try #require(variant.document != text, "\(variant.what): the edit did not apply")
            let forged = try PlanForgery.record(Data(variant.document.utf8), claiming: plan, signedWith: shop.key("andi"), in: shop, recordInDatabase: false)
            let run = try expectRefusal(["show", forged.path], in: shop, mentioning: ["canonical form"])
            let named = run.stderr.range(of: #"at byte [0-9]+,"#, options: .regularExpression).flatMap { Int(run.stderr[$0].dropFirst(8).dropLast()) }
            #expect(named.map(variant.offsets.contains) == true, "\(variant.what): expected a byte in \(variant.offsets): \(run.stderr)")
        }
    }
}
