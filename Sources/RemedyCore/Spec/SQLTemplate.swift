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
        /// The parameters' names, in their order ($1, $2, …).
        let names: [String]

        /// The same statement with some parameters bound to other values: apply renders each of
        /// its statements once per run and binds each batch's ids and deltas here.
        func binding(_ replacements: [String: any PostgresEncodable]) -> Rendered {
            precondition(Set(replacements.keys).isSubset(of: names), "only parameters the statement has are bound again")
            return Rendered(sql: sql, parameters: zip(names, parameters).map { replacements[$0] ?? $1 }, names: names)
        }
    }

    public func render(_ text: String, file: String) throws -> Rendered {
        // First names (whose fragments may themselves hold {{$parameters}}), then parameters.
        let expanded = try substitute(text, file: file) { token in
            guard !token.hasPrefix("$") else { return "{{\(token)}}" }
            guard let fragment = fragments[token] else {
                throw RemedyError(.badSpec, "\(file): unknown name {{\(token)}}; known: \(fragments.keys.sorted().joined(separator: ", "))")
            }
            return fragment
        }
        var order: [String] = []
        let sql = try substitute(expanded, file: file) { token in
            let name = String(token.dropFirst())
            guard token.hasPrefix("$"), values[name] != nil else {
                throw RemedyError(.badSpec, "\(file): unknown parameter {{\(token)}}; known: \(values.keys.sorted().map { "$" + $0 }.joined(separator: ", "))")
            }
            if !order.contains(name) { order.append(name) }
            return "$\(order.firstIndex(of: name)! + 1)"
        }
        return Rendered(sql: sql, parameters: order.map { values[$0]! }, names: order)
    }

    private func substitute(_ text: String, file: String, _ replacement: (String) throws -> String) throws -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        var rest = Substring(text)
        // Bounded: each pass consumes at least one "{{".
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw RemedyError(.badSpec, "\(file): a {{ is never closed")
            }
            output += try replacement(rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return output + rest
    }
}

extension SQLTemplate {
    /// The same names with more bound values.
    func with(_ extra: [String: any PostgresEncodable]) -> SQLTemplate {
        SQLTemplate(fragments: fragments, values: values.merging(extra) { _, new in new })
    }

    /// The same template with more fragments.
    func adding(_ more: [String: String]) -> SQLTemplate {
        SQLTemplate(fragments: fragments.merging(more) { _, new in new }, values: values)
    }
}
