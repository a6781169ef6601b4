import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Bad input is refused with ONE line on stderr, `remedy: error: …`, a non-zero exit, and nothing
/// changed in the database: no balance, no row of the shop's or remedy's tables.
@Suite("Bad input: one clear line, non-zero exit, nothing changed")
struct BadInputTests {
    @Test func badParametersAreRefusedByName() throws {
        let shop = try EndToEndShop(users: 120, seed: 41)
        let plan = ["plan", "tripay-double-credit", "--key", shop.key("andi"), "--jobs", shop.jobs]
        let until = "until=2025-12-02T12:00:00+07:00"

        try expectRefusal(plan + ["--param", "sinse=2025-11-20T00:00:00+07:00", "--param", until], in: shop, mentioning: ["unknown parameter", "sinse"])
        try expectRefusal(plan + ["--param", "since=2025-11-20T00:00:00+07:00"], in: shop, mentioning: ["missing parameter", "until"])
        try expectRefusal(plan + ["--param", "since=2025-11-20 00:00:00", "--param", until], in: shop, mentioning: ["since", "offset"])
        try expectRefusal(plan + ["--param", "since=2025-11-20T00:00:00+07:00'; DROP TABLE users;--", "--param", until],
                          in: shop, mentioning: ["since", "offset"])
        // Not UTF-8: 0xFF in the middle of the timestamp.
        try expectRefusal(plan + ["--param", until], in: shop, mentioning: ["since"],
                          rawLastArgument: Array("--param=since=2025-11-20T00:00:00".utf8) + [0xFF, 0xFE] + Array("+07:00".utf8))
        try expectNothingDropped(shop)
    }

    @Test func badJobSpecsAreRefusedNamingTheKey() throws {
        let shop = try EndToEndShop(users: 120, seed: 42)
        func plan(with jobs: JobsDirectoryCopy) -> [String] {
            ["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--jobs", jobs.path]
        }
        let injectedTable = try JobsDirectoryCopy(replacing: "table: public.users", with: "table: public.users; DROP TABLE x")
        try expectRefusal(plan(with: injectedTable), in: shop, mentioning: ["schema.users.table", "not a valid"])
        let quotedColumn = try JobsDirectoryCopy(replacing: "    balance: balance", with: "    balance: bal\"ance")
        try expectRefusal(plan(with: quotedColumn), in: shop, mentioning: ["schema.users.balance", "not a valid"])
        let unknownKey = try JobsDirectoryCopy(replacing: "apply:\n", with: "apply:\n  batch_sise: 25\n")
        try expectRefusal(plan(with: unknownKey), in: shop, mentioning: ["unknown key", "apply.batch_sise"])
        let notUTF8 = try JobsDirectoryCopy { yaml in
            var bytes = yaml
            bytes.append(contentsOf: Array("# caf".utf8) + [0xE9] + Array("\n".utf8))  // Latin-1 é
            return bytes
        }
        try expectRefusal(plan(with: notUTF8), in: shop, mentioning: ["job.yaml", "UTF-8"])
        try expectNothingDropped(shop)
    }

    @Test func databaseProblemsAreExplainedWithoutSecrets() throws {
        let shop = try EndToEndShop(users: 60, seed: 43, initialize: false)

        // Not initialized: says to run init, and creates nothing.
        let plan = ["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--jobs", shop.jobs]
        try expectRefusal(plan, in: shop, mentioning: ["remedy init"])
        try expectRefusal(["audit", "verify"], in: shop, mentioning: ["remedy init"])
        #expect(try shop.connection.query("SELECT to_regnamespace('remedy') IS NULL")[0].decode(0, as: Bool.self), "no remedy schema appeared")

        // Unreachable (a closed port), with a password in the URL: the error must not show it.
        let port = try closedPort()
        let password = "Tr0ub4dor-and-3"
        for url in ["host=127.0.0.1 port=\(port) dbname=shop user=postgres password=\(password) connect_timeout=5",
                    "postgresql://postgres:\(password)@127.0.0.1:\(port)/shop?connect_timeout=5"] {
            let run = try RemedyProcess.run(plan + ["--database-url", url])
            try expectOneErrorLine(run, mentioning: ["cannot connect"])
            #expect(!run.stderr.contains(password) && !run.stdout.contains(password), "the password leaked:\n\(run)")
        }
    }

    /// An approver's name and role are printed and signed: a line break after an otherwise good
    /// name (which a pattern's `$` lets through) is refused, and no key is written.
    @Test func aNameOrRoleEndingInALineBreakMakesNoKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-keygen-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, role, says) in [("budi\n", "finance", #"name "budi\u{a}""#), ("budi", "finance\n", #"role "finance\u{a}""#),
                                   ("budi\r\n", "finance", #"name "budi\u{d}\u{a}""#)] {
            let keyFile = directory + "/budi.key"
            let run = try RemedyProcess.run(["keygen", "--name", name, "--role", role, "--out", keyFile])
            try expectOneErrorLine(run, mentioning: [says])
            #expect(!FileManager.default.fileExists(atPath: keyFile), "no key for \(name.debugDescription) \(role.debugDescription)")
        }
    }

    @Test func keysPlansAndSignOffsAreChecked() throws {
        // sari holds two keys: one as finance, one as engineering. She is still one person.
        let people = EndToEndShop.defaultPeople + [EndToEndShop.Person("sari", "engineering", file: "sari-engineering")]
        let shop = try EndToEndShop(users: 120, seed: 44, people: people)
        let bundle = try shop.plan()

        // A key file others can read.
        let openKey = shop.directory + "/budi-open.key"
        try FileManager.default.copyItem(atPath: shop.key("budi"), toPath: openKey)
        #expect(chmod(openKey, 0o644) == 0)
        try expectRefusal(["approve", bundle, "--key", openKey], in: shop, mentioning: ["budi-open.key", "chmod 600"])

        // plan.json with one byte changed.
        let tampered = shop.directory + "/tampered"
        try FileManager.default.copyItem(atPath: bundle, toPath: tampered)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: tampered + "/plan.json"))
        let index = try #require(bytes.indices.reversed().first { bytes[$0] >= UInt8(ascii: "1") && bytes[$0] <= UInt8(ascii: "8") })
        bytes[index] += 1
        try bytes.write(to: URL(fileURLWithPath: tampered + "/plan.json"))
        try expectRefusal(["approve", tampered, "--key", shop.key("budi")], in: shop, mentioning: ["plan.json was changed", "digest"])
        try expectRefusal(["apply", tampered, "--key", shop.key("andi"), "--jobs", shop.jobs], in: shop, mentioning: ["digest"])

        // The planner, and a key nobody trusts.
        try expectRefusal(["approve", bundle, "--key", shop.key("andi")], in: shop, mentioning: ["andi", "cannot also approve"])
        try expectRefusal(["approve", bundle, "--key", shop.key("eve")], in: shop, mentioning: ["eve", "not a trusted approver"])

        // One approval is not a quorum: apply names the missing role.
        try shop.approve(bundle, by: ["sari"])
        try expectRefusal(["apply", bundle, "--key", shop.key("andi"), "--jobs", shop.jobs], in: shop, mentioning: ["quorum", "missing: engineering"])

        // The same person again: with the same key, and with her other key.
        try expectRefusal(["approve", bundle, "--key", shop.key("sari")], in: shop, mentioning: ["sari", "already approved"])
        try expectRefusal(["approve", bundle, "--key", shop.key("sari-engineering")], in: shop, mentioning: ["sari", "already approved"])

        // A second init with another approvers file changes nobody's trust.
        let listed = try shop.remedy(["approvers", "list"]).requireSuccess()
        let otherFile = shop.directory + "/other-approvers.yaml"
        let renamed = try String(contentsOfFile: shop.approversFile, encoding: .utf8)
            .replacingOccurrences(of: "name: \"budi\"", with: "name: \"mallory\"")
        #expect(renamed != (try String(contentsOfFile: shop.approversFile, encoding: .utf8)))
        try renamed.write(toFile: otherFile, atomically: true, encoding: .utf8)
        try expectRefusal(["init", "--approvers", otherFile], in: shop, mentioning: ["approvers update"])
        #expect(try shop.remedy(["approvers", "list"]).stdout == listed.stdout, "the trusted set is unchanged")

        // apply's --connections outside 1...8: refused by name before anything is read or written.
        for connections in ["0", "9"] {
            let before = try DatabaseFingerprint.take(shop)
            let run = try shop.remedy(["apply", bundle, "--key", shop.key("andi"), "--jobs", shop.jobs, "--connections", connections])
            #expect(run.exitedNonZero && run.stderrLines.first == "remedy: error: --connections must be from 1 to 8, not \(connections)", "\(run)")
            #expect(try DatabaseFingerprint.take(shop).differences(from: before).isEmpty, "a refused apply changed the database\n\(run)")
        }

        // None of the refusals damaged the plan: with a proper second approval it applies.
        try shop.approve(bundle, by: ["budi"])
        let applied = try shop.apply(bundle)
        #expect(applied.exitedZero, "\(applied)")
    }

    /// A bundle is never overwritten, and a named one that exists is refused before detect (half
    /// a minute at 1,000,000 users) or a revert's reading: one line, and no summary of a plan that
    /// was never written.
    @Test func aBundleDirectoryThatExistsIsRefusedBeforeAnyWork() throws {
        let shop = try EndToEndShop(users: 120, seed: 45)
        let bundle = try shop.plan()
        try shop.approve(bundle)
        #expect(try shop.apply(bundle).exitedZero)
        let planFile = try Data(contentsOf: URL(fileURLWithPath: bundle + "/plan.json"))

        let plan = ["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--jobs", shop.jobs]
        try expectRefusal(plan + ["--out", bundle], in: shop, mentioning: [bundle, "already exists", "--out"])
        try expectRefusal(["revert", bundle, "--key", shop.key("andi"), "--jobs", shop.jobs, "--out", bundle], in: shop,
                          mentioning: [bundle, "already exists", "--out"])
        let emptyDirectory = shop.directory + "/empty"
        try FileManager.default.createDirectory(atPath: emptyDirectory, withIntermediateDirectories: false)
        try expectRefusal(plan + ["--out", emptyDirectory], in: shop, mentioning: [emptyDirectory, "already exists"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: emptyDirectory).isEmpty, "nothing was written into it")
        #expect(try Data(contentsOf: URL(fileURLWithPath: bundle + "/plan.json")) == planFile, "the bundle is as it was")
    }

    /// A job is read once, and only from regular files: a FIFO in the job directory (an editor of
    /// jobs/ used one to learn the instant the spec was hashed, and swapped the SQL in between) is
    /// refused by name, without waiting on it.
    @Test func aJobDirectoryHoldingAFIFOIsRefusedWithoutWaitingOnIt() throws {
        let shop = try EndToEndShop(users: 60, seed: 46)
        let jobs = try JobsDirectoryCopy(replacing: "version: 1", with: "version: 2")
        let fifo = jobs.path + "/tripay-double-credit/a0"
        #expect(mkfifo(fifo, 0o600) == 0)
        let plan = ["plan", "tripay-double-credit"] + shop.windowParameters + ["--key", shop.key("andi"), "--jobs", jobs.path]
        try expectRefusal(plan, in: shop, mentioning: ["a0", "not a regular file"])
        try expectOneErrorLine(try RemedyProcess.run(["policy", "spec-digest", "tripay-double-credit", "--jobs", jobs.path]), mentioning: ["a0", "not a regular file"])
    }

    // MARK: - Helpers

    private func expectNothingDropped(_ shop: EndToEndShop) throws {
        #expect(try shop.connection.query("SELECT to_regclass('public.users') IS NOT NULL")[0].decode(0, as: Bool.self))
    }

    /// A TCP port on 127.0.0.1 that nothing listens on: bound, then released.
    private func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RemedyProcess.Failure(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw RemedyProcess.Failure(description: "could not bind a port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
