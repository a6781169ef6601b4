import Foundation

/// Which pids a process can see: this boot of this kernel (its random boot id) and this process's
/// pid namespace (the inode /proc/self/ns/pid links to). Two runners with the same value see the
/// same pids, so "that pid is gone" means that runner is gone; a runner in another container, even
/// one with this host's name, has another value. Nil where /proc does not say (macOS): then a
/// holder is never taken over by its pid, only by expiry or `remedy lease break`.
enum PidNamespace {
    static let current: String? = {
        guard let boot = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8),
              let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid") else { return nil }
        let bootId = boot.trimmingCharacters(in: .whitespacesAndNewlines)
        return bootId.isEmpty || namespace.isEmpty ? nil : bootId + "/" + namespace
    }()
}
