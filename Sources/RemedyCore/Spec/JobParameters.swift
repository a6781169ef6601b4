/// The values a run was given (`--param since=…`), checked against the job's declarations:
/// unknown names, missing required ones and malformed values are refused by name.
public struct JobParameters: Sendable, Equatable {
    /// Normalized text per declared parameter (timestamps as UTC ISO 8601), defaults filled in.
    public let values: [String: String]

    public init(values: [String: String]) {
        self.values = values
    }

    /// Parses `name=value` pairs as given on the command line.
    public static func resolve(_ assignments: [String], for spec: JobSpec) throws -> JobParameters {
        var given: [String: String] = [:]
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw RemedyError(.badParameter, "--param \"\(assignment.prefix(60))\" must be name=value, e.g. --param since=2025-11-20T00:00:00+07:00")
            }
            let name = String(assignment[..<equals])
            guard given[name] == nil else { throw RemedyError(.badParameter, "parameter \"\(name)\" is given twice; give it once") }
            given[name] = String(assignment[assignment.index(after: equals)...])
        }
        return try resolve(given, for: spec)
    }

    public static func resolve(_ given: [String: String], for spec: JobSpec) throws -> JobParameters {
        let known = spec.parameters.map(\.name)
        if let unknown = given.keys.sorted().first(where: { !known.contains($0) }) {
            throw RemedyError(.badParameter, "unknown parameter \"\(unknown.prefix(60))\" for job \(spec.name); it takes: \(known.joined(separator: ", "))")
        }
        var values: [String: String] = [:]
        for declaration in spec.parameters {
            guard let raw = given[declaration.name] ?? declaration.defaultValue else {
                if declaration.required {
                    throw RemedyError(.badParameter, "missing parameter \"\(declaration.name)\" for job \(spec.name): \(declaration.description) Pass --param \(declaration.name)=…")
                }
                continue
            }
            switch declaration.kind {
            case .timestamptz:
                do {
                    values[declaration.name] = try Timestamp(iso8601: raw).description
                } catch let error as RemedyError {
                    throw RemedyError(.badParameter, "parameter \(declaration.name): \(error.message)")
                }
            case .choice(let choices):
                guard choices.contains(raw) else {
                    throw RemedyError(.badParameter, "parameter \(declaration.name) \"\(raw.prefix(60))\" must be one of: \(choices.joined(separator: ", "))")
                }
                values[declaration.name] = raw
            }
        }
        return JobParameters(values: values)
    }

    public func timestamp(_ name: String) throws -> Timestamp {
        guard let text = values[name] else { throw RemedyError(.badParameter, "parameter \(name) is missing") }
        return try Timestamp(iso8601: text)
    }
}
