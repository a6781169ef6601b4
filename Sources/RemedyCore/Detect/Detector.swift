import Logging
import Postgres

/// Detect: one read-only snapshot (`REPEATABLE READ READ ONLY`), the job's set-based SQL pushed
/// to PostgreSQL, rows streamed one at a time to `onFinding`, never all held.
public struct Detector {
    /// detect's `work_mem`, for its snapshot transaction only. The ledger's hash aggregate and
    /// joins and the final sort of the evidence spill to disk at PostgreSQL's default 4MB (4× slower
    /// at 1,000,000 users); at this size they stay in memory. PostgreSQL grants it per hash or
    /// sort node and per parallel worker, for seconds, once per plan: a few hundred MB at most.
    public static let workMemoryKilobytes = 256 * 1_024

    public let spec: JobSpec
    public let parameters: JobParameters
    /// `workMemoryKilobytes` unless a test asks for another figure (the results must not depend on it).
    var workMemoryKilobytes = Detector.workMemoryKilobytes

    public init(spec: JobSpec, parameters: JobParameters) {
        self.spec = spec
        self.parameters = parameters
    }

    /// A row that cannot be read exactly; its user is held.
    public struct Unreadable: Sendable {
        public let userId: String
        public let label: String
        public let problem: String
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
                    onUnreadable: (Unreadable) throws -> Void,
                    onFinding: (UserFinding) throws -> Void) throws -> Snapshot {
        try connection.transaction(TransactionOptions(isolation: .repeatableRead, readOnly: true)) {
            // JIT compiling detect's large plan (180 functions, in every parallel worker) cost more
            // than it saved: about 2 s of a 14 s detect at 1,000,000 users.
            try connection.execute(CatalogSQL.jitOff)
            _ = try connection.query(CatalogSQL.localWorkMemory, ["\(workMemoryKilobytes)kB"])
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
                let finding: UserFinding
                do {
                    finding = try UserFinding(row: row, decoder: decoder)
                } catch let error as PostgresError where error.kind == .decoding {
                    // One hostile row (a balance with three decimals, a malformed amount) must not
                    // stop the plan: that user is held, untouched, with the reason.
                    try onUnreadable(Unreadable(userId: row.text(0) ?? "?", label: row.text(1) ?? "", problem: error.message))
                    return
                } catch is DecodingError {
                    try onUnreadable(Unreadable(userId: row.text(0) ?? "?", label: row.text(1) ?? "", problem: "its evidence is not well-formed JSON"))
                    return
                }
                try onFinding(finding)
                if rows % 10_000 == 0 { progress(rows) }
            }
            return Snapshot(takenAt: takenAt, catalog: catalog, rowsRead: rows)
        }
    }
}
