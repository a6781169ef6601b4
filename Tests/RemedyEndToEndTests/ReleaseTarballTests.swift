import Foundation
import Testing

/// Issue 12: the release tarball (scripts/release) works where there is no Swift toolchain: it
/// is unpacked into an empty directory and run with a PATH of system directories only, no
/// `.build/` and no jobs directory but its own. `.ci/run` builds the tarball and names it in
/// REMEDY_RELEASE_TARBALL; without that variable this suite is skipped.
@Suite("The release tarball")
struct ReleaseTarballTests {
    static let tarball = ProcessInfo.processInfo.environment["REMEDY_RELEASE_TARBALL"]

    /// Runs `executable` with exactly `environment` (nothing inherited), in `directory`.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String], in directory: String) throws -> RemedyRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let output = directory + "/.out-\(UUID().uuidString)"
        let errors = directory + "/.err-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: output); try? FileManager.default.removeItem(atPath: errors) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        try process.run()
        process.waitUntilExit()
        return RemedyRun(arguments: [executable] + arguments, reason: process.terminationReason, status: process.terminationStatus,
                         stdout: try String(contentsOfFile: output, encoding: .utf8), stderr: try String(contentsOfFile: errors, encoding: .utf8))
    }

    @Test(.enabled(if: tarball != nil, "REMEDY_RELEASE_TARBALL is not set: run scripts/release and set it to the path it prints"))
    func unpackedAloneItRunsWithoutAToolchain() throws {
        let tarball = try #require(Self.tarball)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-release-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let unpacked = try Self.run("/bin/tar", ["-xzf", tarball, "-C", directory], environment: [:], in: directory)
        #expect(unpacked.exitedZero, "\(unpacked)")
        let top = try #require(try FileManager.default.contentsOfDirectory(atPath: directory).first { $0.hasPrefix("remedy-") })
        let binary = "\(directory)/\(top)/bin/remedy"
        let work = directory + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let environment = ["PATH": "/usr/bin:/bin", "HOME": work, "LANG": "C.UTF-8"]

        for page in ["remedy.1", "remedy.plan.1", "remedy.apply.1"] {
            #expect(FileManager.default.fileExists(atPath: "\(directory)/\(top)/share/man/man1/\(page)"), "manual page \(page)")
        }
        for completion in ["bash-completion/completions/remedy", "zsh/site-functions/_remedy", "fish/vendor_completions.d/remedy.fish"] {
            #expect(((try? Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(top)/share/\(completion)")))?.count ?? 0) > 100, "completion \(completion)")
        }
        let version = try Self.run(binary, ["--version"], environment: environment, in: work)
        #expect(version.exitedZero && version.stdout.contains("commit") && !version.stdout.contains("a work tree"), "\(version)")
        #expect(try Self.run(binary, ["--help"], environment: environment, in: work).exitedZero)

        // Only system libraries: no Swift runtime, no Foundation.
        let libraries = try Self.run("/usr/bin/ldd", [binary], environment: environment, in: work)
        #expect(libraries.exitedZero, "\(libraries)")
        for line in libraries.stdoutLines {
            #expect(!line.contains("libswift") && !line.contains("libFoundation") && !line.contains("libdispatch") && !line.contains("lib_Foundation"),
                    "a Swift library is linked dynamically: \(line)")
        }

        // A plan against a throwaway cluster, the jobs found beside the binary.
        let shop = try EndToEndShop(users: 60, seed: 1_201)
        let bundle = work + "/plan"
        let plan = try Self.run(binary, ["plan", "tripay-double-credit"] + shop.windowParameters
                                + ["--key", shop.key("andi"), "--out", bundle, "--database-url", shop.database.url],
                                environment: environment, in: work)
        #expect(plan.exitedZero && plan.stdoutLines.last == bundle, "\(plan)")
        let show = try Self.run(binary, ["show", bundle, "--database-url", shop.database.url], environment: environment, in: work)
        #expect(show.exitedZero, "\(show)")
        if try Self.run(binary, ["check", "--help"], environment: environment, in: work).exitedZero {
            let check = try Self.run(binary, ["check", "tripay-double-credit"] + shop.windowParameters + ["--database-url", shop.database.url],
                                     environment: environment, in: work)
            #expect(check.reason == .exit && [0, 2].contains(check.status), "\(check)")
        }
    }
}
