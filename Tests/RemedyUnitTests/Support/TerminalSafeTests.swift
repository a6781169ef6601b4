import Foundation
import Testing
import TestSupport
@testable import RemedyCore

@Suite("Terminal output: strings others chose are shown escaped")
struct TerminalSafeTests {
    @Test(arguments: [
        ("\u{1b}[2J", "\\u{1b}[2J"),
        ("\u{1b}]8;;http://x.example\u{7}klik\u{1b}]8;;\u{7}", "\\u{1b}]8;;http://x.example\\u{7}klik\\u{1b}]8;;\\u{7}"),
        ("Rp 91.800\rRp 0", "Rp 91.800\\u{d}Rp 0"),
        ("line\nbreak\ttab", "line\\u{a}break\\u{9}tab"),
        ("del\u{7f}", "del\\u{7f}"),
        ("nel\u{85}csi\u{9b}2J", "nel\\u{85}csi\\u{9b}2J"),
        ("\u{202e}008.19 pR", "\\u{202e}008.19 pR"),
        ("a\u{2066}b\u{2069}c\u{200f}d\u{200e}e\u{61c}f", "a\\u{2066}b\\u{2069}c\\u{200f}d\\u{200e}e\\u{61c}f"),
        ("zero\u{200b}width\u{feff}", "zero\\u{200b}width\\u{feff}"),
        ("sep\u{2028}par\u{2029}", "sep\\u{2028}par\\u{2029}"),
        ("crlf\r\n", "crlf\\u{d}\\u{a}"),
        ("nul\u{0}", "nul\\u{0}"),
    ])
    func controlsAndBidiAreEscaped(raw: String, shown: String) {
        #expect(raw.terminalSafe == shown)
        #expect(!shown.unicodeScalars.contains(where: TerminalSafe.escapes))
    }

    /// A label up to the limit is shown whole; a longer one is cut at a character (never inside
    /// an escape or a grapheme cluster) with what was left out counted.
    @Test func longLabelsAreCutForPeopleAndCounted() {
        let limit = TerminalSafe.maxLabelCharacters
        let atLimit = String(repeating: "a", count: limit)
        #expect(atLimit.terminalLabel == atLimit)
        #expect("Bu Ani\u{1b}[2J".terminalLabel == "Bu Ani\\u{1b}[2J")

        let long = "Budi" + String(repeating: "x", count: 4_996)
        #expect(long.terminalLabel == String(long.prefix(limit - 1)) + "…[+\(5_000 - (limit - 1)) characters]")

        // The escape at the cut is kept whole; so is an accented letter written as two scalars (e and
        // U+0301, one character).
        let escapeAtCut = String(repeating: "a", count: limit - 2) + "\u{1b}" + String(repeating: "b", count: 10)
        #expect(escapeAtCut.terminalLabel == String(repeating: "a", count: limit - 2) + "\\u{1b}…[+10 characters]")
        let accented = String(repeating: "a", count: limit - 2) + "e\u{301}" + "tail"
        #expect(accented.terminalLabel == String(repeating: "a", count: limit - 2) + "e\u{301}…[+4 characters]")

        // One character of any length (4,000 Hangul leading jamo are one grapheme cluster) is cut
        // inside, at the scalar bound: a customer's name cannot fill the screen as one character.
        let jamo = "Budi" + String(repeating: "\u{1100}", count: 4_000) + " ok"
        #expect(jamo.count == 8, "the jamo run is one character")
        let shown = jamo.terminalLabel
        #expect(shown.hasPrefix("Budi" + String(repeating: "\u{1100}", count: TerminalSafe.maxLabelScalars - 5) + "…[+"), "\(shown.prefix(80))")
        #expect(shown.unicodeScalars.count < TerminalSafe.maxLabelScalars + 32, "\(shown.unicodeScalars.count) scalars shown")
        let marks = "e" + String(repeating: "\u{301}", count: 10_000)
        #expect(marks.terminalLabel.unicodeScalars.count < TerminalSafe.maxLabelScalars + 32)
        #expect(String(repeating: "e\u{301}", count: 30).terminalLabel == String(repeating: "e\u{301}", count: 30), "short enough whole")
    }

    /// ASCII is answered without the Unicode tables: the same answer as theirs, for all 128.
    @Test func asciiIsEscapedExactlyWhereTheUnicodeTablesSay() {
        for value in UInt8(0)...0x7F {
            let scalar = Unicode.Scalar(value)
            let tables = [.control, .format, .lineSeparator, .paragraphSeparator].contains(scalar.properties.generalCategory)
            #expect(TerminalSafe.escapes(scalar) == tables, "U+\(String(value, radix: 16))")
        }
    }

    @Test func ordinaryTextIsLeftAlone() {
        for text in ["andi", "dewi 🌸🇮🇩 lestari", "Rp 1.900.000", "-Rp 9.180", "é (e + \u{301})", "back\\slash \\u{1b}", "جميل", "  padded  "] {
            #expect(text.terminalSafe == text)
        }
    }

    @Test func everyControlFormatAndSeparatorScalarIsEscaped() {
        // Exhaustive over the BMP's C0, DEL, C1 and the bidi ranges named in the threat model.
        let ranges: [ClosedRange<UInt32>] = [0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x200E...0x200F, 0x061C...0x061C]
        for range in ranges {
            for value in range {
                let scalar = Unicode.Scalar(value)!
                let shown = String(Character(scalar)).terminalSafe
                #expect(shown == "\\u{\(String(value, radix: 16))}", "U+\(String(value, radix: 16))")
            }
        }
    }

    @Test func jsonStaysTheSameValueAndLosesRawControls() throws {
        struct Row: Codable, Equatable { let label: String; let contact: String }
        let row = Row(label: "\u{202e}reversed\u{85}\u{1b}[2J\u{7f}", contact: "tag\u{e0041}@x.example\u{2028}")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let raw = String(decoding: try encoder.encode(row), as: UTF8.self)
        let safe = TerminalSafe.json(raw)
        #expect(try JSONDecoder().decode(Row.self, from: Data(safe.utf8)) == row, "the same JSON value")
        #expect(safe.contains("\\u202e") && safe.contains("\\u0085") && safe.contains("\\udb40\\udc41"), "\(safe)")
        let outsideLayout = safe.unicodeScalars.filter { TerminalSafe.escapes($0) && $0 != "\n" }
        #expect(outsideLayout.isEmpty, "only the pretty-printer's line breaks stay raw")
    }

    /// `json` reads UTF-8 bytes for speed; what it writes must be what the rule says, scalar by
    /// scalar (the reference below): every escaped scalar as `\\u` and four lowercase hex digits
    /// per UTF-16 unit, layout whitespace and everything else left, at every byte length (1 to 4)
    /// and position (first, last, back to back).
    @Test func jsonEscapesExactlyWhatTheRuleNamesAtEveryLengthAndPlace() {
        func reference(_ json: String) -> String {
            var out = ""
            for scalar in json.unicodeScalars {
                if TerminalSafe.escapes(scalar), !["\n", "\r", "\t"].contains(scalar) {
                    for unit in String(scalar).utf16 {
                        let hex = String(unit, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
            return out
        }
        // Escaped and left alone, of every UTF-8 length: C0, DEL, layout, C1, soft hyphen, bidi,
        // separators, BOM, a tag character (4 bytes, Cf); letters, emoji and a flag that stay.
        let pool: [Unicode.Scalar] = ["a", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1b}", "\u{7f}", "\u{85}", "\u{9b}", "\u{ad}",
                                      "é", "\u{301}", "\u{61c}", "ج", "\u{200b}", "\u{202e}", "\u{2028}", "\u{2029}", "\u{2066}", "\u{feff}",
                                      "€", "\u{e0041}", "\u{1f338}", "\u{1f1ee}", "\u{10ffff}"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
        for length in 0..<600 {
            var text = String.UnicodeScalarView()
            for _ in 0..<(length % 40) { text.append(pool[next(pool.count)]) }
            let json = String(text)
            #expect(TerminalSafe.json(json) == reference(json), "\(json.unicodeScalars.map { String($0.value, radix: 16) })")
        }
        for scalar in pool {
            for json in [String(scalar), "x\(scalar)", "\(scalar)x", "\(scalar)\(scalar)"] {
                #expect(TerminalSafe.json(json) == reference(json), "U+\(String(scalar.value, radix: 16))")
            }
        }
    }

    /// The sanitiser is hard to bypass only while nothing else writes to the terminal: the
    /// command line and the core may print only through `Terminal` (which sanitises), apart from
    /// the few places named here, each of which sanitises or prints fixed text.
    @Test func nothingButTerminalWritesToStdoutOrStderr() throws {
        let root = repositoryRoot
        let allowed: Set<String> = [
            "Sources/remedy/Support/Terminal.swift",       // the gate
            "Sources/remedy/Remedy.swift",                 // usage errors, sanitised
            "Sources/RemedyCore/Apply/FaultInjection.swift", // fixed checkpoint names, tests only
        ]
        let direct = try NSRegularExpression(pattern: #"(?<![.\w])print\(|Swift\.print|FileHandle\.standard(Output|Error)|FileHandle\(fileDescriptor|fputs\(|fwrite\(|StreamLogHandler"#)
        var offenders: [String] = []
        for folder in ["Sources/remedy", "Sources/RemedyCore"] {
            let enumerator = try #require(FileManager.default.enumerator(atPath: root.appendingPathComponent(folder).path))
            for case let file as String in enumerator where file.hasSuffix(".swift") {
                let path = "\(folder)/\(file)"
                guard !allowed.contains(path) else { continue }
                let text = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                    let line = String(line)
                    if direct.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil { offenders.append("\(path):\(number + 1): \(line)") }
                }
            }
        }
        #expect(offenders.isEmpty, "write through Terminal.print/progress instead:\n\(offenders.joined(separator: "\n"))")
    }
}
