import Foundation
import Testing
import TestSupport

/// `--json` on every command: stdout is exactly one JSON document (a result, or an error with the
/// command's exit code), for scripts; and shells complete arguments with what they name.
@Suite("JSON output contract")
struct JSONOutputContractTests {
    /// stdout as one JSON object, nothing before or after it.
    static func document(_ run: RemedyRun, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        try #require(try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any],
                     "stdout is not one JSON object:\n\(run)", sourceLocation: sourceLocation)
    }

    static func expectKeys(_ keys: [String], in document: [String: Any], of run: RemedyRun, sourceLocation: SourceLocation = #_sourceLocation) {
        for key in keys {
            #expect(document[key] != nil, "no \"\(key)\" in the JSON of \(run)", sourceLocation: sourceLocation)
        }
    }

    /// An exact amount: a string like "-9180.00", never a JSON number.
    static func isExactAmount(_ value: Any?) -> Bool {
        (value as? String)?.range(of: #"^-?[0-9]+\.[0-9]{2}$"#, options: .regularExpression) != nil
    }

    /// The subcommands `remedy PATH --help` lists (not `help`).
    static func subcommands(of path: [String]) throws -> [String] {
        let run = try RemedyProcess.run(path + ["--help"])
        #expect(run.exitedZero, "\(run)")
        var names: [String] = []
        var inSection = false
        for line in run.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("SUBCOMMANDS:") { inSection = true; continue }
            guard inSection else { continue }
            if line.isEmpty { break }
            // "  name   abstract": two spaces of indent; wrapped abstracts are indented further.
            guard line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first else { continue }
            if name != "help" { names.append(String(name)) }
        }
        return names
    }

    @Test func everyCommandsHelpOffersJSON() throws {
        var leaves: [[String]] = []
        var pending = try JSONOutputContractTests.subcommands(of: []).map { [$0] }
        #expect(pending.count >= CommandLineContractTests.subcommands.count, "remedy --help lists \(pending)")
        while let path = pending.popLast() {
            let children = try JSONOutputContractTests.subcommands(of: path)
            if children.isEmpty { leaves.append(path) } else { pending += children.map { path + [$0] } }
        }
        // The groups' own subcommands are reached, not only the groups.
        for expected in [["audit", "verify"], ["approvers", "sign"], ["policy", "spec-digest"], ["lease", "break"]] {
            #expect(leaves.contains(expected), "\(expected.joined(separator: " ")) not found among \(leaves)")
        }
        for path in leaves {
            let help = try RemedyProcess.run(path + ["--help"])
            #expect(help.stdout.contains("--json"), "`remedy \(path.joined(separator: " ")) --help` does not offer --json\n\(help)")
        }
    }

    @Test func commandsPrintOneJSONDocumentWithWhatTheirTextSays() throws {
        let shop = try EndToEndShop(users: 120, seed: 41)

        // keygen: the key file written, and its approvers-file entry.
        let keyFile = shop.directory + "/dewi.key"
        let keygen = try RemedyProcess.run(["keygen", "--name", "dewi", "--role", "finance", "--out", keyFile, "--json"])
        #expect(keygen.exitedZero, "\(keygen)")
        let made = try JSONOutputContractTests.document(keygen)
        #expect(made["name"] as? String == "dewi" && made["role"] as? String == "finance" && made["key_file"] as? String == keyFile, "\(keygen)")
        let publicKey = try #require(made["public_key"] as? String)
        #expect((made["approvers_entry"] as? String)?.contains("public_key: \(publicKey)") == true, "\(keygen)")
        #expect(FileManager.default.fileExists(atPath: keyFile))

        // init again: idempotent, says so.
        let initialized = try shop.remedy(["init", "--approvers", shop.approversFile, "--json"])
        #expect(initialized.exitedZero, "\(initialized)")
        let schema = try JSONOutputContractTests.document(initialized)
        JSONOutputContractTests.expectKeys(["from_version", "to_version", "approver_set"], in: schema, of: initialized)
        #expect(schema["created_approvers"] as? Bool == false, "\(initialized)")

        let listed = try shop.remedy(["approvers", "list", "--json"])
        #expect(listed.exitedZero, "\(listed)")
        let approvers = try #require(try JSONOutputContractTests.document(listed)["approvers"] as? [[String: Any]])
        #expect(Set(approvers.compactMap { $0["name"] as? String }) == ["andi", "sari", "budi"], "\(listed)")

        // policy spec-digest: the same digest the text prints.
        let digestText = try RemedyProcess.run(["policy", "spec-digest", "tripay-double-credit", "--jobs", shop.jobs]).requireSuccess()
        let digestJSON = try RemedyProcess.run(["policy", "spec-digest", "tripay-double-credit", "--jobs", shop.jobs, "--json"])
        #expect(try JSONOutputContractTests.document(digestJSON)["digest"] as? String == digestText.stdoutLines.last, "\(digestJSON)")

        // run without a policy: a plan waits for sign-off (exit 2), its bundle named.
        let scheduled = try shop.remedy(["run", "tripay-double-credit", "--key", shop.key("andi"), "--out", shop.directory + "/runs",
                                         "--jobs", shop.jobs, "--json"] + shop.windowParameters)
        #expect(scheduled.reason == .exit && scheduled.status == 2, "\(scheduled)")
        let waiting = try JSONOutputContractTests.document(scheduled)
        let waitingBundle = try #require(waiting["waiting_bundle"] as? String, "\(scheduled)")
        #expect(FileManager.default.fileExists(atPath: waitingBundle + "/plan.json"))
        #expect(JSONOutputContractTests.isExactAmount((waiting["totals"] as? [String: Any])?["to_take_back"]), "\(scheduled)")

        // approve: the digest signed, by whom, where the signature is, the totals.
        let bundle = try shop.plan()
        let planDigest = try String(contentsOfFile: bundle + "/plan.sha256", encoding: .utf8).split(separator: " ").first.map(String.init)
        let approve = try shop.remedy(["approve", bundle, "--key", shop.key("sari"), "--json"])
        #expect(approve.exitedZero, "\(approve)")
        let approval = try JSONOutputContractTests.document(approve)
        #expect(approval["digest"] as? String == planDigest, "\(approve)")
        #expect(approval["name"] as? String == "sari" && approval["role"] as? String == "finance", "\(approve)")
        let signature = try #require(approval["signature"] as? String)
        #expect(signature.hasPrefix(bundle + "/") && FileManager.default.fileExists(atPath: signature), "\(approve)")
        #expect(JSONOutputContractTests.isExactAmount((approval["totals"] as? [String: Any])?["to_take_back"]), "\(approve)")
        try shop.approve(bundle, by: ["budi"])
        let applied = try shop.apply(bundle, json: true)
        #expect(applied.exitedZero, "\(applied)")
        let head = try #require(try JSONOutputContractTests.document(applied)["audit_head"] as? String)

        // audit verify: intact, rows, head; with --head, that it is reached.
        let audit = try shop.remedy(["audit", "verify", "--head", head, "--json"])
        #expect(audit.exitedZero, "\(audit)")
        let chain = try JSONOutputContractTests.document(audit)
        #expect(chain["intact"] as? Bool == true && chain["reaches_recorded_head"] as? Bool == true && chain["recorded_head"] as? String == head, "\(audit)")
        #expect((chain["rows"] as? Int ?? 0) > 0 && chain["head"] is String, "\(audit)")

        // export --out: the file, its size, the discrepancies.
        let exportFile = shop.directory + "/export.csv"
        let export = try shop.remedy(["export", bundle, "--format", "csv", "--out", exportFile, "--json"])
        #expect(export.exitedZero, "\(export)")
        let exported = try JSONOutputContractTests.document(export)
        #expect(exported["file"] as? String == exportFile && exported["discrepancies"] as? Int == 0, "\(export)")
        let size = try FileManager.default.attributesOfItem(atPath: exportFile)[.size] as? Int
        #expect(exported["bytes"] as? Int == size, "\(export)")
        // Without --out the export is stdout: with --format json it is the one document.
        let onStdout = try shop.remedy(["export", bundle, "--format", "json", "--json"])
        #expect(onStdout.exitedZero, "\(onStdout)")
        _ = try JSONOutputContractTests.document(onStdout)

        // revert: the new bundle and its digest.
        let revertOut = shop.directory + "/revert"
        let revert = try shop.remedy(["revert", bundle, "--key", shop.key("andi"), "--out", revertOut, "--jobs", shop.jobs, "--json"])
        #expect(revert.exitedZero, "\(revert)")
        let reverted = try JSONOutputContractTests.document(revert)
        #expect(reverted["bundle"] as? String == revertOut, "\(revert)")
        let revertDigest = try String(contentsOfFile: revertOut + "/plan.sha256", encoding: .utf8).split(separator: " ").first.map(String.init)
        #expect(reverted["digest"] as? String == revertDigest, "\(revert)")

        // An error under --json is a JSON error too, with the command's exit code.
        let noLease = try shop.remedy(["lease", "break", "tripay-double-credit", "--key", shop.key("andi"), "--json"])
        #expect(noLease.reason == .exit && noLease.status == 1, "\(noLease)")
        let error = try #require(try JSONOutputContractTests.document(noLease)["error"] as? [String: Any])
        #expect(error["code"] as? String == "bad-input", "\(noLease)")
    }

    @Test func simulateReportsExactTotals() throws {
        let database = try TestDatabase.make()
        defer { try? database.drop() }
        let run = try RemedyProcess.run(["simulate", "--users", "40", "--seed", "3", "--database-url", database.url, "--json"])
        #expect(run.exitedZero, "\(run)")
        let summary = try JSONOutputContractTests.document(run)
        #expect(summary["users"] as? Int == 40, "\(run)")
        #expect(JSONOutputContractTests.isExactAmount(summary["bug_excess"]) && JSONOutputContractTests.isExactAmount(summary["other_drift"]), "\(run)")
    }

    /// The demo's walk-through is for people: under --json it goes to stderr, stdout gets one document.
    @Test func demoWalksThroughOnStderrUnderJSON() throws {
        let run = try RemedyProcess.run(["demo", "--users", "40", "--jobs", RemedyProcess.jobsDirectory, "--json"], timeoutSeconds: 300)
        #expect(run.exitedZero, "\(run)")
        let summary = try JSONOutputContractTests.document(run)
        #expect(summary["completed"] as? Bool == true && summary["users"] as? Int == 40, "\(run)")
        #expect(run.stderr.contains("remedy apply"), "the steps are on stderr\n\(run)")
    }

    @Test func refusalsAndUsageErrorsAreJSONErrorsWithTheirExitCodes() throws {
        let shop = try EndToEndShop(users: 80, seed: 42)
        let bundle = try shop.plan()
        let before = try DatabaseFingerprint.take(shop)

        // The planner approving their own plan: refused (3), code quorum, nothing changed.
        let refused = try shop.remedy(["approve", bundle, "--key", shop.key("andi"), "--json"])
        #expect(refused.reason == .exit && refused.status == 3, "\(refused)")
        let error = try #require(try JSONOutputContractTests.document(refused)["error"] as? [String: Any], "\(refused)")
        #expect(error["code"] as? String == "quorum", "\(refused)")
        #expect((error["message"] as? String)?.isEmpty == false)
        #expect(try DatabaseFingerprint.take(shop).differences(from: before) == [])

        // A usage error: code usage, exit 1.
        for arguments in [["approve", "--json"], ["export", bundle, "--format", "csv", "--json"]] {
            let usage = try RemedyProcess.run(arguments)
            #expect(usage.reason == .exit && usage.status == 1, "\(usage)")
            let usageError = try #require(try JSONOutputContractTests.document(usage)["error"] as? [String: Any], "\(usage)")
            #expect(usageError["code"] as? String == "usage", "\(usage)")
        }
    }

    /// Shells complete a job name from the jobs directory: the generated script asks remedy, and
    /// remedy answers with the directories that hold a job.yaml.
    @Test func jobArgumentsCompleteFromTheJobsDirectory() throws {
        let script = try RemedyProcess.run(["--generate-completion-script", "bash"])
        #expect(script.exitedZero, "\(script)")
        #expect(script.stdout.contains("---completion plan -- positional@0"), "the bash script does not ask remedy for plan's job")

        let jobs = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-completion-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: jobs) }
        for job in ["alpha-drift", "beta-credit"] {
            try FileManager.default.createDirectory(atPath: "\(jobs)/\(job)", withIntermediateDirectories: true)
            try Data("name: \(job)\n".utf8).write(to: URL(fileURLWithPath: "\(jobs)/\(job)/job.yaml"))
        }
        try FileManager.default.createDirectory(atPath: "\(jobs)/not-a-job", withIntermediateDirectories: true)
        // What bash runs on TAB after `remedy plan --jobs DIR `: the words, the index of the one completed, the cursor in it.
        let answer = try RemedyProcess.run(["---completion", "plan", "--", "positional@0", "4", "0", "remedy", "plan", "--jobs", jobs, ""])
        #expect(answer.exitedZero, "\(answer)")
        #expect(answer.stdoutLines == ["alpha-drift", "beta-credit"], "\(answer)")
    }
}
