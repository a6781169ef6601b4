/// The release `remedy` binary as a measured child (ChildRun), against one copy of the shop.
struct RemedyCommands {
    let remedyPath: String
    let url: String
    let jobs: String
    /// Where each child's stdout and stderr go, as LABEL.stdout and LABEL.stderr.
    let work: String
    /// Extra arguments of every `remedy apply`.
    let applyArguments: [String]

    /// Runs `remedy ARGUMENTS --database-url URL` and returns the child, whatever its exit status.
    func run(_ label: String, _ arguments: [String], started: () -> Void = {}) throws -> ChildResult {
        note("remedy \(arguments.prefix(2).joined(separator: " ")) (\(label))")
        let child = try ChildRun.measured([remedyPath] + arguments + ["--database-url", url],
                                          stdoutPath: "\(work)/\(label).stdout", stderrPath: "\(work)/\(label).stderr", started: started)
        note("  \(label): exit \(child.exitStatus), \(format(child.seconds)) s, peak RSS \(format(child.peakRSSMegabytes, digits: 1)) MB")
        return child
    }

    /// As `run`, for a step the rest of the run needs: a non-zero exit ends the run.
    func required(_ label: String, _ arguments: [String], started: () -> Void = {}) throws -> ChildResult {
        let child = try run(label, arguments, started: started)
        guard child.exitStatus == 0 else {
            throw BenchmarkError("remedy \(arguments.first ?? "") (\(label)) exited \(child.exitStatus):\n\(child.tail(ofStderr: 20))")
        }
        return child
    }

    var jobsArguments: [String] { ["--jobs", jobs] }
}
