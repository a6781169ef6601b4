import Foundation

/// A copy of a job (with the shared SQL it uses) whose YAML is edited, for policy variations; the
/// copy is removed when this object goes away (keep it until the last use of `directory`).
public final class JobCopy {
    public let root: String
    public let directory: String

    public init(_ job: String = "tripay-double-credit", _ edit: (String) -> String) throws {
        root = NSTemporaryDirectory() + "remedy-jobs-" + UUID().uuidString
        directory = root + "/" + job
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: repositoryRoot.path + "/jobs/" + job, toPath: directory)
        try FileManager.default.copyItem(atPath: repositoryRoot.path + "/jobs/shared", toPath: root + "/shared")
        let yaml = try String(contentsOfFile: directory + "/job.yaml", encoding: .utf8)
        try edit(yaml).write(toFile: directory + "/job.yaml", atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }
}
