import ArgumentParser
import Foundation
import RemedyCore

/// What shells complete for remedy's arguments (`remedy --generate-completion-script SHELL`).
enum Completion {
    /// Key files (keygen writes them, everything else reads them).
    static let key = CompletionKind.file()
    /// Approvers files and standing policies.
    static let yaml = CompletionKind.file(extensions: ["yaml", "yml"])
    /// A plan bundle is a directory (plan.json, approvals/, runs/).
    static let bundle = CompletionKind.directory

    /// Job names: the directories holding a job.yaml in the jobs directory remedy would use
    /// (`--jobs` already on the command line, else the default search).
    static let job = CompletionKind.custom { words, _, _ in
        let explicit = words.firstIndex(of: "--jobs").flatMap { words.index(after: $0) < words.endIndex ? words[words.index(after: $0)] : nil }
        return jobNames(in: JobLocator.directory(explicit: explicit))
    }

    static func jobNames(in root: String?) -> [String] {
        guard let root, let entries = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        return entries.filter { FileManager.default.fileExists(atPath: "\(root)/\($0)/job.yaml") }.sorted()
    }
}
