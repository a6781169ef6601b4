/// remedy's version. Plans record the format they are written in, not this; it is for people,
/// `--version` and the notifier's User-Agent.
public let remedyVersion = "0.2.0"

/// The commit a release was built from: `scripts/release` writes it into this line for the
/// build and puts the line back afterwards; any other build says it came from a work tree.
public let remedyBuildCommit = "a work tree"

/// `remedy --version`: the version and where the binary came from.
public var remedyVersionLine: String { "\(remedyVersion) (commit \(remedyBuildCommit))" }
