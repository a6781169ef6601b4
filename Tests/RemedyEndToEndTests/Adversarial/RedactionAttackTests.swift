import Foundation
import Postgres
import Testing

/// Issue 10, item 13: a redacted export goes to people outside finance. Its recipient sees the
/// plan digest (it is printed) and may well know the shop's user ids (they are sequential or
/// leaked elsewhere). Knowing both must not let them say whose line is whose.
@Suite("Adversarial: a redacted export cannot be re-identified without the installation's secret")
struct RedactionAttackTests {
    @Test func aRecipientWhoKnowsTheDigestAndEveryUserIdCannotRecomputeAPseudonym() throws {
        let shop = try EndToEndShop(users: 120, seed: 92)
        let bundle = try shop.plan()
        let plan = try shop.readPlan(bundle)
        try shop.approve(bundle)
        try shop.apply(bundle).requireSuccess()

        var files: [String: Data] = [:]
        var printed = ""
        for (name, extra) in [("export.json", ["--format", "json"]), ("lines.csv", ["--format", "csv"]),
                              ("lines-excel.csv", ["--format", "csv", "--excel"]), ("report.html", ["--format", "html"])] {
            let out = "\(shop.directory)/redacted-\(name)"
            let run = try shop.remedy(["export", bundle, "--redact", "--out", out] + extra)
            #expect(run.exitedZero, "\(run)")
            files[name] = try Data(contentsOf: URL(fileURLWithPath: out))
            printed += run.stdout + run.stderr
        }
        let export = try RedactionAttack.lines(of: try #require(files["export.json"]))
        #expect(export.lines.count == plan.adjustments.count + plan.holds.count + plan.settled.count)
        #expect(export.lines.allSatisfy { $0.userId.hasPrefix("anon-") })

        // The attacker: every user id of the shop, the digest the export prints, every scheme.
        let userIds = try shop.connection.query("SELECT id::text FROM users").map { try $0.decode(0, as: String.self) }
        let matches = try RedactionAttack.recompute(export, userIds: userIds)
        #expect(matches.isEmpty, "the attacker re-identified \(matches.count) line(s): \(matches.prefix(5))")

        // Nothing in any file that the plan holds about a user: ids, idempotency keys (hashes of the id).
        let identifying = userIds + plan.adjustments.map(\.idempotencyKey)
        for (name, data) in files {
            let text = String(decoding: data, as: UTF8.self)
            #expect(!identifying.contains { text.contains($0) }, "\(name) holds a user id or an idempotency key")
        }

        // The secret, in any spelling, is in no export and was never printed.
        let secret = try shop.connection.query("SELECT secret FROM remedy.redaction_key").map { try $0.decode(0, as: [UInt8].self) }
        let key = try #require(secret.first)
        #expect(secret.count == 1 && key.count >= 32, "one secret of at least 256 bits")
        for spelling in RedactionAttack.spellings(of: key) {
            #expect(RedactionAttack.find(spelling, in: Data(printed.utf8)) == nil, "the secret was printed")
            for (name, data) in files { #expect(RedactionAttack.find(spelling, in: data) == nil, "the secret is in \(name)") }
        }

        // By design, finance can match two exports of the same installation: the next plan holds
        // the same held users and, as already corrected, the users this plan corrected. Neither a
        // second init nor an UPDATE changes the secret.
        try shop.remedy(["init", "--approvers", shop.approversFile]).requireSuccess()
        #expect(throws: PostgresError.self) { try shop.connection.execute("UPDATE remedy.redaction_key SET secret = $1", [[UInt8](repeating: 0, count: 32)]) }
        let next = try shop.plan()
        let nextOut = "\(shop.directory)/next.json"
        try shop.remedy(["export", next, "--redact", "--format", "json", "--out", nextOut]).requireSuccess()
        let later = try RedactionAttack.lines(of: try Data(contentsOf: URL(fileURLWithPath: nextOut)))
        #expect(Set(later.lines.filter { $0.section == "hold" }.map(\.userId)) == Set(export.lines.filter { $0.section == "hold" }.map(\.userId)))
        let corrected = Set(export.lines.filter { $0.outcome == "applied" }.map(\.userId))
        #expect(!corrected.isEmpty && corrected.isSubset(of: Set(later.lines.filter { $0.section == "settled" }.map(\.userId))),
                "a corrected user keeps their pseudonym in the next plan's export")
        #expect(try RedactionAttack.recompute(later, userIds: userIds).isEmpty)
    }

    @Test func redactWithoutASecretIsRefusedAndAKeyFileServesAnExportWithoutADatabase() throws {
        let shop = try EndToEndShop(users: 120, seed: 93)
        let bundle = try shop.plan()
        let out = "\(shop.directory)/offline.json"

        // No database to read the installation's secret from, no key file: refused, nothing written.
        try expectRefusal(["export", bundle, "--redact", "--offline", "--format", "json", "--out", out], in: shop, mentioning: ["--redact", "--redaction-key"])
        #expect(!FileManager.default.fileExists(atPath: out))

        let keyFile = "\(shop.directory)/redaction.key"
        var secret = [UInt8](repeating: 0, count: 32)
        for index in secret.indices { secret[index] = UInt8.random(in: 0...255) }
        try Data(secret.prefix(16)).write(to: URL(fileURLWithPath: keyFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)
        try expectRefusal(["export", bundle, "--redact", "--offline", "--redaction-key", keyFile, "--format", "json", "--out", out],
                          in: shop, mentioning: ["16 bytes", "at least 32"])
        try Data(secret).write(to: URL(fileURLWithPath: keyFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyFile)
        try expectRefusal(["export", bundle, "--redact", "--offline", "--redaction-key", keyFile, "--format", "json", "--out", out],
                          in: shop, mentioning: ["readable by others", "chmod 600"])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)
        #expect(!FileManager.default.fileExists(atPath: out))

        let offline = try shop.remedy(["export", bundle, "--redact", "--offline", "--redaction-key", keyFile, "--format", "json", "--out", out])
        #expect(offline.exitedZero, "\(offline)")
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        let export = try RedactionAttack.lines(of: data)
        let userIds = try shop.connection.query("SELECT id::text FROM users").map { try $0.decode(0, as: String.self) }
        #expect(try RedactionAttack.recompute(export, userIds: userIds).isEmpty)
        for spelling in RedactionAttack.spellings(of: secret) { #expect(RedactionAttack.find(spelling, in: data) == nil, "the key file is in the export") }

        // The database's secret and the file's give different pseudonyms: neither is derived from the plan.
        let online = "\(shop.directory)/online.json"
        try shop.remedy(["export", bundle, "--redact", "--format", "json", "--out", online]).requireSuccess()
        let fromDatabase = Set(try RedactionAttack.lines(of: try Data(contentsOf: URL(fileURLWithPath: online))).lines.map(\.userId))
        #expect(fromDatabase.isDisjoint(with: Set(export.lines.map(\.userId))))
    }
}

/// The attacker's side: reads a redacted JSON export as anyone could, and tries every way a
/// pseudonym could have been made from what it shows (in Python, apart from remedy's code).
private enum RedactionAttack {
    struct Line: Encodable {
        let userId: String
        let section: String
        let outcome: String
        let excess: String
        let idempotencyKey: String?
        let transactionIds: [String]
    }

    struct Export: Encodable {
        let digest: String
        let job: String
        let lines: [Line]
    }

    static func lines(of data: Data) throws -> Export {
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let plan = try #require(object["plan"] as? [String: Any])
        let rows = try #require(object["lines"] as? [[String: Any]])
        return Export(digest: try #require(plan["digest"] as? String), job: try #require(plan["job"] as? String), lines: try rows.map { row in
            Line(userId: try #require(row["user_id"] as? String), section: row["section"] as? String ?? "", outcome: row["outcome"] as? String ?? "",
                 excess: row["excess"] as? String ?? "", idempotencyKey: row["idempotency_key"] as? String,
                 transactionIds: (row["evidence"] as? [[String: Any]] ?? []).compactMap { $0["transaction_id"] as? String })
        })
    }

    /// Lines the attacker re-identified, as "pseudonym = user id (scheme)".
    static func recompute(_ export: Export, userIds: [String]) throws -> [String] {
        struct Input: Encodable { let export: Export; let userIds: [String] }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-attack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input.json")
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        try encoder.encode(Input(export: export, userIds: userIds)).write(to: input)
        let output = directory.appendingPathComponent("output")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, input.path]
        process.standardOutput = try FileHandle(forWritingTo: output)
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "the attacker's script failed")
        let found = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String])
        return found
    }

    static let script = #"""
    import hashlib, hmac, json, sys
    data = json.load(open(sys.argv[1]))
    export, ids = data["export"], data["user_ids"]
    digest, job = export["digest"].encode(), export["job"]
    def schemes(uid):
        u = uid.encode()
        yield "HMAC(key=digest, id)", hmac.new(digest, u, hashlib.sha256).hexdigest()
        yield "HMAC(key=id, digest)", hmac.new(u, digest, hashlib.sha256).hexdigest()
        yield "HMAC(key=digest, v2 context + id)", hmac.new(digest, b"remedy-redaction/v2\nuser\n" + u, hashlib.sha256).hexdigest()
        yield "HMAC(key=empty, v2 context + id)", hmac.new(b"", b"remedy-redaction/v2\nuser\n" + u, hashlib.sha256).hexdigest()
        yield "SHA-256(id)", hashlib.sha256(u).hexdigest()
        yield "SHA-256(digest + id)", hashlib.sha256(digest + u).hexdigest()
        yield "SHA-256(id + digest)", hashlib.sha256(u + digest).hexdigest()
    table = [(uid, name, code) for uid in ids for name, code in schemes(uid)]
    found = []
    for line in export["lines"]:
        code = line["user_id"].split("-", 1)[-1]
        for uid, name, full in table:
            if len(code) >= 8 and full.startswith(code):
                found.append(f'{line["user_id"]} = {uid} ({name})')
        key = line.get("idempotency_key")
        if key:
            for uid in ids:
                text = f"remedy-correction/v1\n{job}\n{uid}\n{line['excess']}\n" + "".join(t + "\n" for t in sorted(line["transaction_ids"]))
                if hashlib.sha256(text.encode()).hexdigest() == key:
                    found.append(f'{line["user_id"]} = {uid} (its idempotency key)')
    print(json.dumps(found))
    """#

    /// The secret as raw bytes, hex (either case) and base64.
    static func spellings(of secret: [UInt8]) -> [Data] {
        let hex = secret.map { String(format: "%02x", $0) }.joined()
        return [Data(secret), Data(hex.utf8), Data(hex.uppercased().utf8), Data(Data(secret).base64EncodedString().utf8)]
    }

    static func find(_ needle: Data, in haystack: Data) -> Range<Data.Index>? {
        haystack.range(of: needle)
    }
}
