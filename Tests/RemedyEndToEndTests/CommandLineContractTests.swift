import Foundation
import Testing

/// What scripts and operators rely on from the command line: the commands it has, where plan puts
/// its bundle path, exact amounts in JSON, and exit codes that say whether the work is done.
@Suite("Command-line contract")
struct CommandLineContractTests {
    static let subcommands = ["demo", "init", "keygen", "plan", "show", "approve", "apply", "verify", "revert", "evidence", "audit", "approvers",
                              "run", "acknowledge", "policy", "simulate"]

    @Test func helpListsEverySubcommand() throws {
        let run = try RemedyProcess.run(["--help"])
        #expect(run.exitedZero, "\(run)")
        let listed = Set(run.stdoutLines.compactMap { line -> String? in
            guard line.hasPrefix("  ") else { return nil }
            return line.split(separator: " ").first.map(String.init)
        })
        for command in CommandLineContractTests.subcommands {
            #expect(listed.contains(command), "`remedy --help` does not list \(command)\n\(run)")
        }
    }

    /// The version, and where the binary came from: a release's commit (scripts/release), or a work tree.
    @Test func versionPrintsAVersionAndItsCommit() throws {
        let run = try RemedyProcess.run(["--version"])
        #expect(run.exitedZero, "\(run)")
        let version = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version.range(of: #"^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)? \(commit [^()]+\)$"#, options: .regularExpression) != nil, "\(run)")
    }

    @Test func planPrintsItsBundleLastAndJSONCarriesExactAmountsAsStrings() throws {
        let shop = try EndToEndShop(users: 120, seed: 31)
        let workingDirectory = shop.directory + "/cwd"
        try FileManager.default.createDirectory(atPath: workingDirectory, withIntermediateDirectories: true)

        // Text: a summary for people, the bundle's path as the last line (the default: ./remedy-plans/…).
        let text = try shop.remedy(["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--jobs", shop.jobs],
                                   workingDirectory: workingDirectory)
        #expect(text.exitedZero, "\(text)")
        let path = try #require(text.stdoutLines.last)
        #expect(path.hasPrefix(workingDirectory + "/remedy-plans/"), "\(text)")
        #expect(FileManager.default.fileExists(atPath: path + "/plan.json"), "the last line is not a bundle: \(text)")
        #expect(text.stdoutLines.count > 1, "a summary precedes the path")

        // JSON: one document; amounts are exact strings, never JSON numbers.
        let out = shop.directory + "/json-plan"
        let json = try shop.remedy(["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--out", out, "--json", "--jobs", shop.jobs])
        #expect(json.exitedZero, "\(json)")
        let document = try #require(try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any],
                                    "stdout of `plan --json` is not one JSON object:\n\(json)")
        #expect(document["bundle"] as? String == out)
        let digest = try #require(document["digest"] as? String)
        let recorded = try String(contentsOfFile: out + "/plan.sha256", encoding: .utf8).split(separator: " ").first.map(String.init)
        #expect(digest == recorded, "the digest printed is the bundle's")
        let totals = try #require(document["totals"] as? [String: Any])
        let amountKeys = ["over_credit_found", "to_take_back", "owed", "held_excess", "held_shortfall", "would_go_negative"]
        for key in amountKeys {
            let value = totals[key]
            #expect(value is String, "totals.\(key) is \(String(describing: value)), not an exact string")
            if let text = value as? String {
                #expect(text.range(of: #"^-?[0-9]+\.[0-9]{2}$"#, options: .regularExpression) != nil, "totals.\(key) = \(text)")
            }
        }
        // The exact total is the exact sum of the plan's lines.
        let plan = try shop.readPlan(out)
        try #require(!plan.adjustments.isEmpty)
        let sumOfLines = try plan.adjustments.reduce(0) { $0 - (try Sen.parse($1.delta.exactText)) }
        #expect(try Sen.parse(totals["to_take_back"] as? String ?? "") == sumOfLines)
        #expect(totals["adjustment_count"] as? Int == plan.adjustments.count)
    }

    @Test func applyExitsZeroOnlyWhenEveryLineIsAppliedAndVerifyFailsOnAResidual() throws {
        let shop = try EndToEndShop(users: 120, seed: 32)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let plan = try shop.readPlan(bundle)
        try #require(plan.adjustments.count >= 2)

        let applied = try shop.apply(bundle)
        #expect(applied.exitedZero, "every line applies: exit 0\n\(applied)")
        let verified = try shop.remedy(["verify", bundle, "--jobs", shop.jobs])
        #expect(verified.exitedZero, "\(verified)")

        // Someone moves a corrected balance by hand afterwards: verify names the user and fails.
        let user = plan.adjustments[0].userId
        try shop.connection.execute("UPDATE users SET balance = balance + 500 WHERE id = $1::uuid", [user])
        let residual = try shop.remedy(["verify", bundle, "--jobs", shop.jobs])
        #expect(residual.exitedNonZero, "\(residual)")
        #expect(residual.stdoutLines.contains { $0.hasPrefix("residual") && $0.contains(user) && $0.contains("500") }, "\(residual)")
        #expect(!residual.stderr.contains("remedy: error:"), "a residual is a finding, not an error\n\(residual)")
    }

    @Test func applyExitsNonZeroWhenALineIsStale() throws {
        let shop = try EndToEndShop(users: 120, seed: 33)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let plan = try shop.readPlan(bundle)
        try #require(plan.adjustments.count >= 2)
        let stale = plan.adjustments[0]
        // A hand correction between plan and apply: that line's precondition no longer holds.
        try shop.connection.execute("UPDATE users SET balance = balance - 1000 WHERE id = $1::uuid", [stale.userId])
        let before = try shop.balances()

        let run = try shop.apply(bundle)
        #expect(run.exitedNonZero, "a skipped line must make apply exit non-zero\n\(run)")
        #expect(run.stdoutLines.contains { $0.hasPrefix("skipped") && $0.contains(stale.label) && $0.contains("stale") }, "\(run)")
        #expect(!run.stderr.contains("remedy: error:"), "an incomplete apply is a result, not an error\n\(run)")
        let after = try shop.balances()
        #expect(after[stale.userId] == before[stale.userId], "the stale line is left alone")
        for line in plan.adjustments.dropFirst() {
            #expect(try Sen.parse(after[line.userId] ?? "") == (try Sen.parse(before[line.userId] ?? "")) + (try Sen.parse(line.delta.exactText)),
                    "the other lines are applied")
        }
        // Running it again does not pretend the plan is done.
        let again = try shop.apply(bundle)
        #expect(again.exitedNonZero, "\(again)")
    }
}

/// Exact amounts as integer sen, parsed from the text remedy and PostgreSQL print ("-9180.00").
enum Sen {
    struct NotAnAmount: Error { let text: String }

    static func parse(_ text: String) throws -> Int64 {
        guard text.range(of: #"^-?[0-9]+\.[0-9]{2}$"#, options: .regularExpression) != nil else { throw NotAnAmount(text: text) }
        let negative = text.hasPrefix("-")
        let digits = text.filter(\.isNumber)
        guard let value = Int64(digits) else { throw NotAnAmount(text: text) }
        return negative ? -value : value
    }
}
