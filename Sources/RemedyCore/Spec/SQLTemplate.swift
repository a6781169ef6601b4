import Foundation
import Postgres

/// Renders a job's SQL: `{{name}}` becomes a quoted identifier or an expression built from quoted
/// identifiers; `{{$name}}` becomes a bound parameter (`$1`, `$2`, …, one per distinct name).
/// A token nobody defined is an error, so a typo in a .sql file cannot run.
public struct SQLTemplate {
    public let fragments: [String: String]
    public let values: [String: any PostgresEncodable]

    public init(fragments: [String: String], values: [String: any PostgresEncodable]) {
        self.fragments = fragments
        self.values = values
    }

    public struct Rendered {
        public let sql: String
        public let parameters: [any PostgresEncodable]
    }

    public func render(_ text: String, file: String) throws -> Rendered {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        var parameterOrder: [String] = []
        var rest = Substring(text)
        // Bounded: each pass consumes at least one "{{".
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw RemedyError(.badSpec, "\(file): a {{ is never closed")
            }
            let token = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if token.hasPrefix("$") {
                let name = String(token.dropFirst())
                guard values[name] != nil else {
                    throw RemedyError(.badSpec, "\(file): unknown parameter {{$\(name)}}; known: \(values.keys.sorted().joined(separator: ", "))")
                }
                if !parameterOrder.contains(name) { parameterOrder.append(name) }
                output += "$\(parameterOrder.firstIndex(of: name)! + 1)"
            } else {
                guard let fragment = fragments[token] else {
                    throw RemedyError(.badSpec, "\(file): unknown name {{\(token)}}; known: \(fragments.keys.sorted().joined(separator: ", "))")
                }
                output += fragment
            }
            rest = rest[close.upperBound...]
        }
        output += rest
        return Rendered(sql: output, parameters: parameterOrder.map { values[$0]! })
    }
}
