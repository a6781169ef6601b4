import Yams

/// A walk over a YAML mapping that knows where it is, so every error names the exact key
/// (`signatures.lost_update.tolerance_seconds`), and that refuses keys nobody reads.
struct SpecNode {
    let path: String
    let file: String
    private let pairs: [(key: String, value: Node)]
    private var read: Set<String> = []

    init(_ node: Node?, path: String, file: String) throws {
        self.path = path
        self.file = file
        guard case .mapping(let mapping)? = node else {
            throw RemedyError(.badSpec, "\(file): \(path.isEmpty ? "the file" : path) must be a mapping of keys to values")
        }
        var pairs: [(String, Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw RemedyError(.badSpec, "\(file): \(path) has a key that is not text") }
            pairs.append((name, value))
        }
        self.pairs = pairs
    }

    private func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    private func bad(_ key: String, _ problem: String) -> RemedyError {
        RemedyError(.badSpec, "\(file): \(name(key)) \(problem)")
    }

    func has(_ key: String) -> Bool { pairs.contains { $0.key == key } }

    private mutating func node(_ key: String) -> Node? {
        read.insert(key)
        return pairs.first { $0.key == key }?.value
    }

    mutating func string(_ key: String) throws -> String {
        guard let value = try optionalString(key) else { throw bad(key, "is missing") }
        return value
    }

    mutating func optionalString(_ key: String) throws -> String? {
        guard let node = node(key) else { return nil }
        guard case .scalar(let scalar) = node else { throw bad(key, "must be a single value") }
        return scalar.string
    }

    mutating func int(_ key: String, default defaultValue: Int? = nil, range: ClosedRange<Int>) throws -> Int {
        guard let text = try optionalString(key) else {
            guard let defaultValue else { throw bad(key, "is missing") }
            return defaultValue
        }
        guard let value = Int(text), range.contains(value) else {
            throw bad(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound), not \"\(text)\"")
        }
        return value
    }

    mutating func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard let text = try optionalString(key) else { return defaultValue }
        switch text { case "true", "yes": return true; case "false", "no": return false
        default: throw bad(key, "must be true or false, not \"\(text)\"") }
    }

    mutating func strings(_ key: String) throws -> [String] {
        guard let node = node(key) else { throw bad(key, "is missing") }
        guard case .sequence(let sequence) = node else { throw bad(key, "must be a list") }
        return try sequence.map { item in
            guard case .scalar(let scalar) = item else { throw bad(key, "must be a list of single values") }
            return scalar.string
        }
    }

    mutating func sequenceOfMappings(_ key: String) throws -> [SpecNode] {
        guard let node = node(key) else { throw bad(key, "is missing") }
        guard case .sequence(let sequence) = node else { throw bad(key, "must be a list") }
        return try sequence.enumerated().map { index, item in try SpecNode(item, path: "\(name(key))[\(index)]", file: file) }
    }

    mutating func child(_ key: String) throws -> SpecNode {
        guard let node = node(key) else { throw bad(key, "is missing") }
        return try SpecNode(node, path: name(key), file: file)
    }

    mutating func optionalChild(_ key: String) throws -> SpecNode? {
        has(key) ? try child(key) : nil
    }

    /// The keys of this mapping, in file order, each marked read.
    mutating func keys() -> [String] {
        let keys = pairs.map(\.key)
        read.formUnion(keys)
        return keys
    }

    mutating func identifier(_ key: String, qualified: Bool = false) throws -> SQLIdentifier {
        try SQLIdentifier(validating: try string(key), qualified: qualified, what: "\(file): \(name(key))")
    }

    mutating func optionalIdentifier(_ key: String) throws -> SQLIdentifier? {
        guard let text = try optionalString(key) else { return nil }
        return try SQLIdentifier(validating: text, what: "\(file): \(name(key))")
    }

    /// A name, or a list of names (a fallback list, in order of preference).
    mutating func identifiers(_ key: String) throws -> [SQLIdentifier] {
        guard let node = node(key) else { throw bad(key, "is missing") }
        let texts: [String]
        switch node {
        case .scalar(let scalar): texts = [scalar.string]
        case .sequence(let sequence):
            texts = try sequence.map { item in
                guard case .scalar(let scalar) = item else { throw bad(key, "must be a column name or a list of column names") }
                return scalar.string
            }
        default: throw bad(key, "must be a column name or a list of column names")
        }
        guard (1...8).contains(texts.count) else { throw bad(key, "must name from 1 to 8 columns") }
        guard Set(texts).count == texts.count else { throw bad(key, "names a column twice") }
        return try texts.map { try SQLIdentifier(validating: $0, what: "\(file): \(name(key))") }
    }

    /// Refuses any key that was never read: a typo must not silently fall back to a default.
    func finish() throws {
        let unknown = pairs.map(\.key).filter { !read.contains($0) }
        guard unknown.isEmpty else {
            let known = read.sorted().joined(separator: ", ")
            throw RemedyError(.badSpec, "\(file): unknown key \(unknown.map { "\"\(name($0))\"" }.joined(separator: ", ")); \(path.isEmpty ? "the top level" : path) takes: \(known)")
        }
    }
}
