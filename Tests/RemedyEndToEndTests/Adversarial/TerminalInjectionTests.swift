import Foundation
import Postgres
import Testing
import RemedyCore

/// Issue 10, item 9: a customer chooses their username (and e-mail). Whatever they put in it
/// (ESC sequences that clear the screen, plant a hyperlink or retitle the window, a `\r` that
/// overwrites the amount, a bidi override that reverses it, C1 controls, a line break that
/// forges a line) must reach the operator's terminal escaped, in every command, on stdout and
/// stderr alike; `--json` stays exact JSON.
@Suite("Adversarial: customer-chosen strings never reach the terminal raw")
struct TerminalInjectionTests {
    @Test func hostileUsernamesAreShownEscapedByEveryCommand() throws {
        let shop = try EndToEndShop(users: 120, seed: 91)
        let renamed = try TerminalAttack.renameUsersInAPlan(shop)
        // Postgres NOTICEs reach remedy's log: a trigger that quotes the username in one.
        try shop.connection.executeScript("""
            CREATE FUNCTION hostile_notice() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE NOTICE 'balance of % moved', NEW.username; RETURN NEW; END $$;
            CREATE TRIGGER hostile_notice AFTER UPDATE OF balance ON users FOR EACH ROW EXECUTE FUNCTION hostile_notice();
            """)
        let logging = ["REMEDY_LOG_LEVEL": "debug"]
        var runs: [RemedyRun] = []

        let bundle = shop.directory + "/hostile-plan"
        let plan = try shop.remedy(["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--out", bundle, "--jobs", shop.jobs],
                                   environment: logging)
        #expect(plan.exitedZero, "\(plan)")
        #expect(plan.stdoutLines.last == bundle, "the bundle's path is still the last line")
        runs.append(plan)
        for shown in TerminalAttack.visibleEscapes {
            #expect(plan.stdout.contains(shown), "the plan summary shows \(shown.debugDescription) escaped\n\(plan)")
        }

        let show = try RemedyProcess.run(["show", bundle, "--all"])
        #expect(show.exitedZero && TerminalAttack.visibleEscapes.allSatisfy(show.stdout.contains), "\(show)")
        runs.append(show)

        // --json: exact JSON (the customer's strings decode back unchanged) and no raw controls.
        let json = try RemedyProcess.run(["show", bundle, "--json"])
        #expect(json.exitedZero, "\(json)")
        let strings = TerminalAttack.strings(in: try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)))
        #expect(Set(renamed.values).isSubset(of: strings), "every hostile username decodes back exactly from --json")
        runs.append(json)

        // acknowledge: the held user named by its hostile label; a hostile reason is shown to the next planner.
        let held = try #require(renamed.first { $0.value == TerminalAttack.heldNames[0] })
        let reason = "known\u{1b}[2J since \u{202e}2025 audit"
        let acknowledged = try shop.remedy(["acknowledge", bundle, "--user", held.value, "--reason", reason, "--key", shop.key("sari")])
        #expect(acknowledged.exitedZero && acknowledged.stdout.contains("\\u{1b}]8;;"), "\(acknowledged)")
        runs.append(acknowledged)
        // A refusal that quotes what it was given, and one that quotes a path.
        runs.append(try expectRefusal(["acknowledge", bundle, "--user", "nobody\u{1b}[2J\u{9b}1m", "--reason", "x y z", "--key", shop.key("sari")],
                                      in: shop, mentioning: ["nobody\\u{1b}[2J\\u{9b}1m", "not held"]))
        let missing = try RemedyProcess.run(["show", shop.directory + "/missing\u{1b}]0;owned\u{7}"])
        try expectOneErrorLine(missing, mentioning: ["\\u{1b}]0;owned\\u{7}"])
        runs.append(missing)
        // A usage error (printed by Remedy.main, not by a command).
        let usage = try RemedyProcess.run(["show", bundle, "--\u{1b}[2Jall"])
        #expect(usage.exitedNonZero && usage.stderr.contains("\\u{1b}[2J"), "\(usage)")
        runs.append(usage)

        try shop.approve(bundle)
        let apply = try shop.apply(bundle, environment: logging)
        #expect(apply.exitedZero, "\(apply)")
        #expect(apply.stdout.contains("\\u{202e}008.19 pR") && apply.stdout.contains("Rp 91.800\\u{d}Rp 0"), "apply's lines show the labels escaped\n\(apply)")
        #expect(apply.stderr.contains("balance of "), "the trigger's NOTICE is logged (REMEDY_LOG_LEVEL=debug)\n\(apply)")
        runs.append(apply)
        runs.append(try shop.remedy(["verify", bundle, "--jobs", shop.jobs], environment: logging))
        runs.append(try shop.remedy(["verify", bundle, "--jobs", shop.jobs, "--json"]))

        // The next plan shows the acknowledged hold with its hostile reason.
        let next = shop.directory + "/next-plan"
        let replan = try shop.remedy(["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--out", next, "--jobs", shop.jobs])
        #expect(replan.exitedZero && replan.stdout.contains("known\\u{1b}[2J since \\u{202e}2025 audit"), "\(replan)")
        runs.append(replan)

        // export: the terminal summary and JSON on stdout; the finance files keep their own rules.
        let csv = shop.directory + "/lines.csv"
        let exportCSV = try shop.remedy(["export", bundle, "--format", "csv", "--out", csv])
        #expect(exportCSV.exitedZero, "\(exportCSV)")
        runs.append(exportCSV)
        let exportJSON = try shop.remedy(["export", bundle, "--format", "json"])
        #expect(exportJSON.exitedZero, "\(exportJSON)")
        #expect(Set(renamed.values).isSubset(of: TerminalAttack.strings(in: try JSONSerialization.jsonObject(with: Data(exportJSON.stdout.utf8)))),
                "the JSON export on stdout decodes back to the exact usernames")
        runs.append(exportJSON)
        let written = String(decoding: try Data(contentsOf: URL(fileURLWithPath: csv)), as: UTF8.self)
        #expect(written.contains("\u{202e}008.19 pR"), "the CSV file is finance's, unchanged by the terminal's rule")

        for run in runs { TerminalAttack.expectNoRawControls(run) }
    }
}

extension TerminalInjectionTests {
    /// A customer also picks their username's length. Lines for people show its first characters
    /// and count the rest (TerminalSafe.label), so one name of 20,000 characters cannot fill the
    /// plan summary or apply's output; `--json` and the exports keep it whole.
    @Test func aVeryLongUsernameIsShortenedForPeopleAndKeptWholeForMachines() throws {
        let shop = try EndToEndShop(users: 120, seed: 93)
        let first = try #require(try shop.readPlan(try shop.plan()).adjustments.first)
        let name = "Budi\u{1b}[2J" + String(repeating: "ganteng ", count: 2_500)
        try shop.connection.execute("UPDATE users SET username = $2 WHERE id = $1::uuid", [first.userId, name])
        let shown = String(name.prefix(TerminalSafe.maxLabelCharacters - 1)).terminalSafe + "…[+\(name.count - TerminalSafe.maxLabelCharacters + 1) characters]"
        // Every other line is remedy's own: a few hundred characters at most.
        func expectShortened(_ run: RemedyRun, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(run.exitedZero && run.stdout.contains(shown), "\(run.arguments.first ?? ""): \(run.stdout.prefix(2_000))", sourceLocation: sourceLocation)
            let longest = run.stdoutLines.map(\.count).max() ?? 0
            #expect(longest < 400, "\(run.arguments.first ?? "") printed a line of \(longest) characters", sourceLocation: sourceLocation)
        }

        let bundle = shop.directory + "/long-name-plan"
        let plan = try shop.remedy(["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--out", bundle, "--jobs", shop.jobs])
        expectShortened(plan)
        expectShortened(try RemedyProcess.run(["show", bundle, "--all"]))
        let json = try RemedyProcess.run(["show", bundle, "--json"])
        let showStrings = TerminalAttack.strings(in: try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)))
        #expect(json.exitedZero && showStrings.contains(name), "show --json keeps the whole username")
        try shop.approve(bundle)
        expectShortened(try shop.apply(bundle))
        let exported = try shop.remedy(["export", bundle, "--format", "json"])
        let exportStrings = TerminalAttack.strings(in: try JSONSerialization.jsonObject(with: Data(exported.stdout.utf8)))
        #expect(exported.exitedZero && exportStrings.contains(name), "the JSON export keeps the whole username")
    }
}

/// The attack's strings and its check. The check is independent of remedy's sanitiser: it names
/// the characters a terminal obeys (or that reorder what it shows) itself.
private enum TerminalAttack {
    /// For adjustments: each one a known terminal trick.
    static let adjustmentNames = [
        "\u{1b}[2J\u{1b}[Hclear",                     // erase the screen, cursor home
        "\u{1b}]0;pwned\u{7}title",                   // OSC 0: the window title
        "Rp 91.800\rRp 0",                            // CR: the amount overwritten
        "\u{202e}008.19 pR",                          // RIGHT-TO-LEFT OVERRIDE: reads "Rp 91.800"
        "nel\u{85}line",                              // U+0085 NEXT LINE (C1)
        "csi\u{9b}2Jc1",                              // U+009B CSI (C1): erase the screen, no ESC needed
        "iso\u{2067}late\u{2069}\u{200f}",            // RIGHT-TO-LEFT ISOLATE, POP, RLM
        "forged\nremedy: error: none",                // a line of remedy's own, forged
    ]
    /// For holds (acknowledge names one by its label).
    static let heldNames = [
        "\u{1b}]8;;https://evil.example/\u{7}klik\u{1b}]8;;\u{7}",  // OSC 8: a hyperlink
        "tab\there\u{7f}del",
    ]
    static let contact = "x\u{1b}[31m\u{202e}@example.com"

    /// What the plan summary must show instead.
    static let visibleEscapes = ["\\u{1b}[2J", "\\u{1b}]0;pwned\\u{7}", "Rp 91.800\\u{d}Rp 0", "\\u{202e}008.19 pR", "nel\\u{85}line",
                                 "csi\\u{9b}2Jc1", "\\u{2067}late\\u{2069}\\u{200f}", "forged\\u{a}remedy: error: none", "\\u{1b}]8;;"]

    /// Plans once, then gives hostile names to users with adjustments and holds; returns user id → name.
    static func renameUsersInAPlan(_ shop: EndToEndShop) throws -> [String: String] {
        let plan = try shop.readPlan(try shop.plan())
        let adjusted = plan.adjustments.map(\.userId)
        let held = plan.holds.map(\.userId)
        try #require(adjusted.count >= adjustmentNames.count && held.count >= heldNames.count,
                     "the simulated shop has \(adjusted.count) adjustments and \(held.count) holds; pick a seed with more")
        var renamed: [String: String] = [:]
        for (userId, name) in Array(zip(adjusted, adjustmentNames)) + Array(zip(held, heldNames)) {
            try shop.connection.execute("UPDATE users SET username = $2, email = $3 WHERE id = $1::uuid", [userId, name, contact])
            renamed[userId] = name
        }
        return renamed
    }

    /// C0 but the line feed between lines, DEL, C1, the bidi embeddings, overrides, isolates and
    /// marks, and the line and paragraph separators.
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A: return false
        case 0x00...0x1F, 0x7F...0x9F, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C, 0x2028, 0x2029: return true
        default: return false
        }
    }

    static func expectNoRawControls(_ run: RemedyRun, sourceLocation: SourceLocation = #_sourceLocation) {
        for (stream, text) in [("stdout", run.stdout), ("stderr", run.stderr)] {
            let raw = text.unicodeScalars.filter(isForbidden).map { "U+" + String($0.value, radix: 16, uppercase: true) }
            #expect(raw.isEmpty, "raw \(Set(raw).sorted()) on \(stream) of remedy \(run.arguments.first ?? "")\n\(run.description.debugDescription)",
                    sourceLocation: sourceLocation)
        }
    }

    /// Every string value in a decoded JSON document.
    static func strings(in value: Any) -> Set<String> {
        switch value {
        case let text as String: return [text]
        case let array as [Any]: return array.reduce(into: Set<String>()) { $0.formUnion(strings(in: $1)) }
        case let object as [String: Any]: return object.values.reduce(into: Set<String>()) { $0.formUnion(strings(in: $1)) }
        default: return []
        }
    }
}
