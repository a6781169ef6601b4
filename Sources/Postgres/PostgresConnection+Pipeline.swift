import CLibPQ

/// One statement of a pipeline: SQL with its bound parameters.
public struct PostgresStatement {
    public let sql: String
    public let parameters: [any PostgresEncodable]

    public init(_ sql: String, _ parameters: [any PostgresEncodable] = []) {
        self.sql = sql
        self.parameters = parameters
    }
}

/// Statements to send as one pipeline, built up in order; each `add` returns where its answers
/// will be, so a caller names its answers instead of counting positions (a statement added in
/// the middle later moves nothing that was named).
public struct PostgresPipeline {
    public private(set) var statements: [PostgresStatement] = []

    public init() {}

    /// The slot of this statement's rows in the pipeline's answers.
    @discardableResult
    public mutating func add(_ statement: PostgresStatement) -> Int {
        statements.append(statement)
        return statements.count - 1
    }

    /// The slots of these statements' rows, in order.
    @discardableResult
    public mutating func add(_ more: [PostgresStatement]) -> Range<Int> {
        let start = statements.count
        statements += more
        return start..<statements.count
    }
}

extension PostgresConnection {
    /// `pipeline(_:meanwhile:)` of the statements built up in `pipeline`; answers by their slots.
    public func pipeline(_ pipeline: PostgresPipeline, meanwhile: () -> Void = {}) throws -> [[PostgresRow]] {
        try self.pipeline(pipeline.statements, meanwhile: meanwhile)
    }

    /// Runs several statements in libpq's pipeline mode: all are sent at once and answered in
    /// order, one round trip instead of one per statement. They run one after another exactly as
    /// if sent separately (each its own snapshot in READ COMMITTED); the first that fails stops
    /// the rest (they are not run) and its error is thrown. Inside a transaction the caller's
    /// ROLLBACK then undoes what ran; outside one, the statements form one implicit transaction.
    /// Returns each statement's rows, all held in memory: for bounded statements (apply's batches).
    /// Answers that arrive while libpq is still sending are buffered, so a large answer ahead of a
    /// large statement does not stall either side.
    ///
    /// `meanwhile` runs once everything is sent, before the answers are read: the client's own
    /// work overlaps the server's.
    public func pipeline(_ statements: [PostgresStatement], meanwhile: () -> Void = {}) throws -> [[PostgresRow]] {
        let handle = try liveHandle()
        let values = try statements.map { try PostgresParameterValues($0.sql, $0.parameters) }
        guard PQenterPipelineMode(handle) == 1 else {
            throw failure(handle, context: "could not enter pipeline mode")
        }
        for (statement, parameters) in zip(statements, values) {
            let sent = parameters.withLibPQArrays { count, values, lengths, formats in
                PQsendQueryParams(handle, statement.sql, count, nil, values, lengths, formats, 0)
            }
            guard sent == 1 else { throw abandonPipeline(handle, context: "could not send a statement of the pipeline") }
        }
        guard PQpipelineSync(handle) == 1 else { throw abandonPipeline(handle, context: "could not send the pipeline") }
        meanwhile()

        var results: [[PostgresRow]] = []
        var firstError: PostgresError?
        for _ in statements {
            var rows: [PostgresRow] = []
            var singleRowColumns: PostgresColumns?
            // libpq keeps single-row mode, once a `stream` set it, until a statement is next sent
            // outside a pipeline; a pipeline's first statement after a stream is then answered row
            // by row (PGRES_SINGLE_TUPLE each, then an empty PGRES_TUPLES_OK). Its rows are gathered.
            var answered = false
            answer: for _ in 0..<Self.maximumDrainedResults {
                guard let result = PQgetResult(handle) else { throw abandonPipeline(handle, context: "the pipeline's answer ended early") }
                let status = PQresultStatus(result)
                guard status == PGRES_SINGLE_TUPLE else {
                    switch status {
                    case PGRES_PIPELINE_ABORTED:
                        PQclear(result)
                    case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
                        if firstError == nil { firstError = error(from: result, handle: handle) }
                        PQclear(result)
                        rows = []
                    default:
                        do {
                            rows += try finish(result, handle: handle).rows
                        } catch let failed as PostgresError {
                            if firstError == nil { firstError = failed }
                            rows = []
                        }
                    }
                    answered = true
                    break answer
                }
                let columns = singleRowColumns ?? Self.columns(of: result)
                singleRowColumns = columns
                rows.append(Self.row(result, at: 0, columns: columns))
                PQclear(result)
            }
            guard answered else { throw abandonPipeline(handle, context: "a statement of the pipeline answered with more rows than a pipeline reads") }
            results.append(rows)
            // Each statement's answer ends with a NULL.
            guard PQgetResult(handle) == nil else { throw abandonPipeline(handle, context: "a statement of the pipeline answered more than once") }
        }
        guard let sync = PQgetResult(handle) else { throw abandonPipeline(handle, context: "the pipeline's answer ended before its sync") }
        let synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC
        PQclear(sync)
        guard synced, PQexitPipelineMode(handle) == 1 else { throw abandonPipeline(handle, context: "the pipeline did not end cleanly") }
        if let firstError { throw firstError }
        return results
    }

    /// A pipeline that went wrong on the client's side leaves the connection in an unknown state:
    /// it is closed (any open transaction rolls back on the server), and the error says why.
    private func abandonPipeline(_ handle: OpaquePointer, context: String) -> PostgresError {
        var error = failure(handle, context: context)
        error.kind = .connection
        close()
        return error
    }
}
