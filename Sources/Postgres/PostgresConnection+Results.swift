import CLibPQ

/// What one finished statement produced.
struct PostgresStatementResult {
    var rows: [PostgresRow]
    /// PQcmdTuples: rows inserted, updated, deleted, selected or copied; 0 when the command reports none.
    var rowsAffected: Int
    /// PQcmdStatus, e.g. "COMMIT" or "ROLLBACK".
    var commandTag: String
}

extension PostgresConnection {
    /// Most results a drain loop reads before giving up on the connection (a runaway server would otherwise hold us).
    static let maximumDrainedResults = 50_000_000

    /// Turns a finished PGresult into rows or an error, and frees it.
    func finish(_ result: OpaquePointer?, handle: OpaquePointer) throws -> PostgresStatementResult {
        guard let result else {
            throw failure(handle, context: "the statement could not be run")
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            let columns = Self.columns(of: result)
            let rows = (0..<Int(PQntuples(result))).map { Self.row(result, at: Int32($0), columns: columns) }
            return PostgresStatementResult(
                rows: rows,
                rowsAffected: Int(String(cString: PQcmdTuples(result))) ?? 0,
                commandTag: String(cString: PQcmdStatus(result))
            )
        case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
            throw error(from: result, handle: handle)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            abandonCopy(handle)
            throw PostgresError(kind: .protocolViolation, message: "COPY through query/execute is not supported; use copyIn for COPY … FROM STDIN")
        default:
            throw PostgresError(kind: .protocolViolation, message: "unexpected result status \(String(cString: PQresStatus(status)))")
        }
    }

    /// A server error, or a `.connection` error when the connection went down with it.
    func error(from result: OpaquePointer, handle: OpaquePointer) -> PostgresError {
        var error = PostgresError(result: result)
        if PQstatus(handle) != CONNECTION_OK {
            error.kind = .connection
        }
        return error
    }

    /// The connection's own error (no PGresult), as `.connection` when it is down.
    func failure(_ handle: OpaquePointer, context: String) -> PostgresError {
        let kind: PostgresError.Kind = PQstatus(handle) == CONNECTION_OK ? .protocolViolation : .connection
        return PostgresError.fromConnection(handle, kind: kind, context: context)
    }

    static func columns(of result: OpaquePointer) -> PostgresColumns {
        let count = Int32(PQnfields(result))
        return PostgresColumns(
            names: (0..<count).map { String(cString: PQfname(result, $0)) },
            typeOIDs: (0..<count).map { UInt32(PQftype(result, $0)) }
        )
    }

    static func row(_ result: OpaquePointer, at rowIndex: Int32, columns: PostgresColumns) -> PostgresRow {
        let values: [String?] = (0..<Int32(columns.names.count)).map { column in
            if PQgetisnull(result, rowIndex, column) != 0 { return nil }
            let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, rowIndex, column), count: Int(PQgetlength(result, rowIndex, column)))
            return String(decoding: bytes, as: UTF8.self)
        }
        return PostgresRow(columns: columns, values: values)
    }

    /// Reads and frees the remaining results of the current command; returns the first error among them.
    @discardableResult
    func drainResults(_ handle: OpaquePointer) -> PostgresError? {
        var firstError: PostgresError?
        for _ in 0..<Self.maximumDrainedResults {
            guard let result = PQgetResult(handle) else { return firstError }
            let status = PQresultStatus(result)
            if firstError == nil, status == PGRES_FATAL_ERROR {
                firstError = error(from: result, handle: handle)
            }
            PQclear(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                abandonCopy(handle)
                return firstError
            }
        }
        // The server kept sending: the connection is in an unknown state, so give it up.
        close()
        return PostgresError(kind: .connection, message: "gave up draining results after \(Self.maximumDrainedResults); connection closed")
    }

    /// Leaves an unexpected COPY state so the connection is usable again.
    func abandonCopy(_ handle: OpaquePointer) {
        _ = PQputCopyEnd(handle, "COPY is not supported through this call")
        discardCopyOutData(handle)
        drainResults(handle)
    }

    /// COPY TO STDOUT: reads and discards the data still to come, until the COPY ends.
    func discardCopyOutData(_ handle: OpaquePointer) {
        var buffer: UnsafeMutablePointer<CChar>?
        for _ in 0..<Self.maximumDrainedResults {
            // -1 means done, -2 an error (both end the copy).
            let length = PQgetCopyData(handle, &buffer, 0)
            if let data = buffer { PQfreemem(data); buffer = nil }
            if length < 0 { break }
        }
    }
}
