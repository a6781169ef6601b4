import Foundation
import Logging
import Postgres

/// Detect: one read-only snapshot (`REPEATABLE READ READ ONLY`), the job's set-based SQL pushed
/// to PostgreSQL, rows streamed to `onRows` a bounded batch at a time, never all held.
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
    /// `waitingIntervalMilliseconds` unless a test asks for another.
    var waitingIntervalMilliseconds = Detector.waitingIntervalMilliseconds

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

    /// One row of detect, read: a user's finding, or why their numbers cannot be read.
    public enum Row: Sendable {
        case finding(UserFinding)
        case unreadable(Unreadable)
    }

    /// Rows decoded together (on every core) and handed on together: bounds what is held between
    /// the stream and the caller (512 users' evidence: about 250 KB at 1,000,000 users).
    public static let rowsPerBatch = 512

    /// How often `waiting` is told that detect still reads, until its first row.
    static let waitingIntervalMilliseconds = 10_000

    /// `prepare` sees the catalog before the first row streams, inside the same snapshot, so
    /// what it reads (identity, triggers) is of the same instant as the findings. `onRows` gets
    /// the rows in detect's order, at most `rowsPerBatch` at a time. Until the first row (check's
    /// probes in `prepare`, then the statement: half a minute at 1,000,000 users), `waiting` is
    /// told every `waitingIntervalMilliseconds` how long detect has run, from a timer's thread.
    public func run(on connection: PostgresConnection, progress: (Int) -> Void = { _ in },
                    waiting: @escaping @Sendable (_ elapsedMilliseconds: Int) -> Void = { _ in },
                    prepare: (ShopCatalog) throws -> Void = { _ in },
                    onRows: ([Row]) throws -> Void) throws -> Snapshot {
        let heartbeat = Heartbeat(intervalMilliseconds: waitingIntervalMilliseconds, say: waiting)
        defer { heartbeat.stop() }
        do {
            return try snapshot(on: connection, progress: progress, heartbeat: heartbeat, prepare: prepare, onRows: onRows)
        } catch {
            throw ReadSnapshot.explainingTimeout(error, spec: spec, step: "detect (or check's probe, in plan's snapshot)")
        }
    }

    private func snapshot(on connection: PostgresConnection, progress: (Int) -> Void, heartbeat: Heartbeat,
                          prepare: (ShopCatalog) throws -> Void, onRows: ([Row]) throws -> Void) throws -> Snapshot {
        try connection.transaction(TransactionOptions(isolation: .repeatableRead, readOnly: true)) {
            try ReadSnapshot.configure(spec, on: connection, scanWorkMemoryKilobytes: workMemoryKilobytes)
            let takenAt = try connection.query(CatalogSQL.snapshotTime)[0].decode(0, as: String.self)
            let catalog = try ShopCatalog.inspect(spec, on: connection)
            // detect.sql subtracts every open receivable: each must be one an operator signed.
            try BookSignature.requireSigned(on: connection)
            try prepare(catalog)
            let template = try SQLTemplate.bindings(for: spec, parameters: parameters, userIdType: catalog.userIdType, zonelessTimes: catalog.zonelessTimes)
            let rendered = try template.render(spec.sql["detect"]!, file: "\(spec.directory)/detect.sql")
            var rows = 0
            var pending: [PostgresRow] = []
            pending.reserveCapacity(Self.rowsPerBatch)
            let decoder = UserFinding.makeDecoder()
            func handOn() throws {
                let read = ParallelBatch.map(pending) { row in Result { try Self.read(row, decoder: decoder) } }
                pending.removeAll(keepingCapacity: true)
                try onRows(try read.map { try $0.get() })
            }
            try connection.stream(rendered.sql, rendered.parameters) { row in
                if rows == 0 { heartbeat.stop() }
                rows += 1
                guard rows <= spec.limits.maxUsers else {
                    throw RemedyError(.invariant, "detect returned more than limits.max_users (\(spec.limits.maxUsers)) users; raise the limit in the job spec if that is expected")
                }
                pending.append(row)
                if pending.count == Self.rowsPerBatch { try handOn() }
                if rows % 10_000 == 0 { progress(rows) }
            }
            try handOn()
            return Snapshot(takenAt: takenAt, catalog: catalog, rowsRead: rows)
        }
    }

    /// A row as a finding; a row that cannot be read exactly as its user, held. One hostile row (a
    /// balance with three decimals, malformed evidence) must not stop the plan. The decoder is
    /// shared by the threads decoding a batch (Foundation's JSONDecoder is Sendable).
    private static func read(_ row: PostgresRow, decoder: JSONDecoder) throws -> Row {
        do {
            return .finding(try UserFinding(row: row, decoder: decoder))
        } catch let error as PostgresError where error.kind == .decoding {
            return .unreadable(Unreadable(userId: row.text(0) ?? "?", label: row.text(1) ?? "", problem: error.message))
        } catch is DecodingError {
            return .unreadable(Unreadable(userId: row.text(0) ?? "?", label: row.text(1) ?? "", problem: "its evidence is not well-formed JSON"))
        }
    }
}
