import Foundation

/// Where job specs live, first found wins: `--jobs DIR`, `$REMEDY_JOBS_DIR`, `./jobs`, then
/// `../share/remedy/jobs` beside the executable (an installed release: `bin/remedy`), then a
/// `jobs` directory beside or above the executable (a checkout's `.build/debug/remedy`).
public enum JobLocator {
    public static let environmentVariable = "REMEDY_JOBS_DIR"

    public static func directory(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                                 executablePath: String = Bundle.main.executablePath ?? CommandLine.arguments.first ?? "") -> String? {
        if let explicit { return explicit }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty { return fromEnvironment }
        let manager = FileManager.default
        if manager.fileExists(atPath: manager.currentDirectoryPath + "/jobs") { return manager.currentDirectoryPath + "/jobs" }
        var directory = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
        let installed = directory.deletingLastPathComponent().appendingPathComponent("share/remedy/jobs").path
        if manager.fileExists(atPath: installed) { return installed }
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent("jobs").path
            if manager.fileExists(atPath: candidate + "/tripay-double-credit/job.yaml") { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    public static func load(job: String, explicit: String?) throws -> JobSpec {
        guard SpecName.isJob(job) else {
            throw RemedyError(.badSpec, "job name \"\(job.prefix(60))\" must be lowercase letters, digits and dashes")
        }
        guard let root = directory(explicit: explicit) else {
            throw RemedyError(.badSpec, "cannot find the jobs directory; pass --jobs DIR or set \(environmentVariable)")
        }
        guard FileManager.default.fileExists(atPath: "\(root)/\(job)/job.yaml") else {
            let known = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter {
                FileManager.default.fileExists(atPath: "\(root)/\($0)/job.yaml")
            }.sorted()
            throw RemedyError(.badSpec, "no job \"\(job)\" in \(root); known jobs: \(known.isEmpty ? "none" : known.joined(separator: ", "))")
        }
        return try JobSpec.load(directory: "\(root)/\(job)")
    }
}
