import Foundation
import Postgres
import Testing
import TestSupport

/// Issue 10, item 8: a chain head only protects the log if someone outside the database keeps it
/// and can tell it is genuine. Each apply run's final head is signed by the operator's key and
/// written in the run report and the export; each notification of `remedy run` carries one;
/// `remedy audit verify --head` takes any of these, checks the signature against the trusted set,
/// then that the chain still reaches that head. A forged head is refused with one line.
@Suite("Adversarial: signed audit chain heads")
struct AuditHeadAttackTests {
    @Test func theRunReportAndTheExportCarryASignedHeadAndForgeriesAreRefused() throws {
        let shop = try EndToEndShop(users: 120, seed: 1015)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        let applied = try shop.apply(bundle).requireSuccess()
        let printedHead = try #require(applied.stdoutLines.last { $0.hasPrefix("audit chain head ") }.map { String($0.dropFirst("audit chain head ".count)) })

        let reports = try FileManager.default.contentsOfDirectory(atPath: bundle + "/runs").filter { $0.hasSuffix(".json") }
        try #require(reports.count == 1)
        let reportPath = bundle + "/runs/" + reports[0]
        let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any])
        let head = try #require(report["signed_audit_head"] as? [String: Any], "the run report carries a signed head: \(report.keys.sorted())")
        #expect(head["hash"] as? String == printedHead && head["hash"] as? String == report["audit_head"] as? String)
        #expect(head["name"] as? String == "andi" && head["role"] as? String == "engineering")
        #expect(head["public_key"] as? String == (try publicKey(of: "andi", in: shop)))

        // The report itself, and the head alone, are accepted.
        for path in [reportPath, try write(head, as: "head.json", in: shop)] {
            let checked = try shop.remedy(["audit", "verify", "--head", path])
            #expect(checked.exitedZero && checked.stdout.contains("signed by andi (engineering)"), "\(checked)")
        }

        // Forgeries: an altered hash (an earlier genuine head: the chain does reach it), an
        // altered row number, another trusted person's key, an untrusted key.
        let earlier = try shop.connection.query("SELECT row_hash FROM remedy.audit_log WHERE seq = 1")[0].decode(0, as: String.self)
        let forgeries: [(what: String, edit: [String: Any], mentioning: [String])] = [
            ("altered hash", ["hash": earlier], ["signature", "forged or altered"]),
            ("altered row number", ["seq": 1], ["signature", "forged or altered"]),
            ("sari's key", ["name": "sari", "role": "finance", "public_key": try publicKey(of: "sari", in: shop)], ["signature", "forged or altered"]),
            ("eve's key", ["name": "eve", "role": "finance", "public_key": try publicKey(of: "eve", in: shop)], ["eve", "not a trusted"]),
        ]
        for forgery in forgeries {
            let forged = try write(head.merging(forgery.edit) { _, new in new }, as: "forged.json", in: shop)
            try expectRefusal(["audit", "verify", "--head", forged], in: shop, mentioning: forgery.mentioning)
        }
        try expectRefusal(["audit", "verify", "--head", shop.directory + "/missing.json"], in: shop, mentioning: ["missing.json"])

        // The export, in every format, carries it; the JSON export is accepted as a head.
        for format in ["json", "csv", "html"] {
            let out = "\(shop.directory)/export.\(format)"
            let exported = try shop.remedy(["export", bundle, "--format", format, "--out", out])
            #expect(exported.exitedZero, "\(exported)")
            let text = try String(contentsOfFile: out, encoding: .utf8)
            #expect(text.contains(head["signature"] as? String ?? "no signature"), "the \(format) export holds the signed head")
        }
        let fromExport = try shop.remedy(["audit", "verify", "--head", shop.directory + "/export.json"])
        #expect(fromExport.exitedZero && fromExport.stdout.contains("signed by andi"), "\(fromExport)")
        #expect(try shop.remedy(["audit", "verify"]).exitedZero)

        // Someone able to bypass remedy's triggers deletes the run's last row: what is left still
        // chains on its own, but no longer reaches the head the operator signed.
        _ = try shop.connection.execute("SET session_replication_role = replica")
        _ = try shop.connection.execute("DELETE FROM remedy.audit_log WHERE seq = (SELECT max(seq) FROM remedy.audit_log)")
        _ = try shop.connection.execute("SET session_replication_role = origin")
        #expect(try shop.remedy(["audit", "verify"]).exitedZero, "without a head the cut tail does not show")
        let cut = try shop.remedy(["audit", "verify", "--head", reportPath])
        #expect(cut.exitedNonZero && cut.stdout.contains("no longer reaches the recorded head"), "\(cut)")
    }

    @Test func everyNotificationCarriesASignedHead() throws {
        let shop = try EndToEndShop(users: 60, seed: 1016)
        let server = try LocalHTTPServer()
        let run = try shop.remedy(["run", "balance-drift", "--key", shop.key("andi"), "--jobs", shop.jobs, "--out", shop.directory + "/night"],
                                  environment: ["REMEDY_WEBHOOK_URL": server.url])
        #expect(run.reason == .exit && run.status == 2, "\(run)")
        let bodies = server.bodies
        try #require(!bodies.isEmpty, "remedy run notified")
        for body in bodies {
            let head = try #require(body["signed_audit_head"] as? [String: Any], "notification \(body["event"] ?? "?") carries a signed head")
            #expect(head["name"] as? String == "andi")
            let checked = try shop.remedy(["audit", "verify", "--head", try write(head, as: "notified.json", in: shop)])
            #expect(checked.exitedZero && checked.stdout.contains("signed by andi"), "\(checked)")
        }
    }

    private func write(_ object: [String: Any], as name: String, in shop: EndToEndShop) throws -> String {
        let path = "\(shop.directory)/\(name)"
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func publicKey(of name: String, in shop: EndToEndShop) throws -> String {
        let text = try String(contentsOfFile: shop.key(name), encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("public_key: ") })
        return String(line.dropFirst("public_key: ".count))
    }
}
