import Logging
import Postgres

/// Detect: one read-only snapshot (`REPEATABLE READ READ ONLY`), the job's set-based SQL pushed
/// to PostgreSQL, rows streamed one at a time to `onFinding`, never all held.
public struct Detector {
    public let spec: JobSpec
    public let parameters: JobParameters

    public init(spec: JobSpec, parameters: JobParameters) {
        self.spec = spec
        self.parameters = parameters
    }

    public struct Snapshot: Sendable {
        public let takenAt: String
        public let catalog: ShopCatalog
        public let rowsRead: Int
    }

    /// `prepare` sees the catalog before the first row streams, inside the same snapshot, so
    /// what it reads (identity, triggers) is of the same instant as the findings.
    public func run(on connection: PostgresConnection, progress: (Int) -> Void = { _ in },
                    prepare: (ShopCatalog) throws -> Void = { _ in },
                    onFinding: (UserFinding) throws -> Void) throws -> Snapshot {
        try connection.transaction(TransactionOptions(isolation: .repeatableRead, readOnly: true)) {
            let takenAt = try connection.query(CatalogSQL.snapshotTime)[0].decode(0, as: String.self)
            let catalog = try ShopCatalog.inspect(spec, on: connection)
            try prepare(catalog)
            let template = try SQLTemplate.bindings(for: spec, parameters: parameters, userIdType: catalog.userIdType)
            let rendered = try template.render(spec.sql["detect"]!, file: "\(spec.directory)/detect.sql")
            var rows = 0
            let decoder = UserFinding.makeDecoder()
            try connection.stream(rendered.sql, rendered.parameters) { row in
                rows += 1
                guard rows <= spec.limits.maxUsers else {
                    throw RemedyError(.invariant, "detect returned more than limits.max_users (\(spec.limits.maxUsers)) users; raise the limit in the job spec if that is expected")
                }
                do {
                    try onFinding(try UserFinding(row: row, decoder: decoder))
                } catch let error as PostgresError where error.kind == .decoding {
                    throw RemedyError(.badInput, "detect row \(rows) (user \(row.text(0) ?? "?")) cannot be read exactly: \(error.message); fix the data or the job spec")
                }
                if rows % 10_000 == 0 { progress(rows) }
            }
            return Snapshot(takenAt: takenAt, catalog: catalog, rowsRead: rows)
        }
    }
}
