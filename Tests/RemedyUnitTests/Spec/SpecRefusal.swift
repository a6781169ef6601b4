import Testing
import TestSupport
@testable import RemedyCore

/// The job spec with `original` replaced by `replacement` must be refused in one line containing
/// `message`: how every spec-validation test states its case.
func expectSpecRefused(replacing original: String, with replacement: String, message: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
    let copy = try JobCopy { yaml in
        #expect(yaml.contains(original), "the test's anchor text must exist", sourceLocation: sourceLocation)
        return yaml.replacingOccurrences(of: original, with: replacement)
    }
    let error = #expect(throws: RemedyError.self, sourceLocation: sourceLocation) { try JobSpec.load(directory: copy.directory) }
    #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")", sourceLocation: sourceLocation)
    #expect(error?.message.contains("\n") == false, sourceLocation: sourceLocation)
}
