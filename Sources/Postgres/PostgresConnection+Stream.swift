import CLibPQ

extension PostgresConnection {
    /// Runs one statement and hands its rows to `onRow` one at a time (libpq single-row mode), so memory stays
    /// bounded by one row. If `onRow` throws, the query is cancelled, the rest is discarded and the error rethrown.
    /// Inside a transaction, that cancel aborts the transaction (which the thrown error rolls back anyway).
    public func stream(_ sql: String, _ parameters: [any PostgresEncodable] = [], onRow: (PostgresRow) throws -> Void) throws {
        let handle = try liveHandle()
        let sent = try PostgresParameterValues(sql, parameters).withLibPQArrays { count, values, lengths, formats in
            PQsendQueryParams(handle, sql, count, nil, values, lengths, formats, 0)
        }
        guard sent == 1 else {
            throw failure(handle, context: "could not send the query")
        }
        guard PQsetSingleRowMode(handle) == 1 else {
            let error = failure(handle, context: "could not switch to single-row mode")
            drainResults(handle)
            throw error
        }

        var columns: PostgresColumns?
        // Ends when libpq reports the command complete (nil); each pass consumes one row or the final status.
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            switch status {
            case PGRES_SINGLE_TUPLE:
                let rowColumns = columns ?? Self.columns(of: result)
                columns = rowColumns
                let row = Self.row(result, at: 0, columns: rowColumns)
                PQclear(result)
                do {
                    try onRow(row)
                } catch {
                    cancelAndDrain(handle)
                    throw error
                }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                PQclear(result)
            default:
                // An error mid-stream (or before the first row) ends the command; collect it and drain.
                let error: PostgresError
                if status == PGRES_FATAL_ERROR {
                    error = self.error(from: result, handle: handle)
                    PQclear(result)
                } else {
                    PQclear(result)
                    error = PostgresError(kind: .protocolViolation, message: "unexpected result status \(String(cString: PQresStatus(status))) while streaming")
                }
                if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                    abandonCopy(handle)
                } else {
                    drainResults(handle)
                }
                throw error
            }
        }
    }

    /// Asks the server to stop the running query, then discards what is still on its way.
    func cancelAndDrain(_ handle: OpaquePointer) {
        sendCancel(handle)
        // The expected 57014 (query_canceled) or a late success is of no interest: the caller's error wins.
        drainResults(handle)
    }

    /// Asks the server to stop the running statement (a warning if the request cannot be sent).
    func sendCancel(_ handle: OpaquePointer) {
        guard let cancel = PQgetCancel(handle) else { return }
        var errorBuffer = [CChar](repeating: 0, count: 256)
        if PQcancel(cancel, &errorBuffer, Int32(errorBuffer.count)) != 1 {
            let reason = String(decoding: errorBuffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            logger.warning("could not cancel the running statement: \(reason)")
        }
        PQfreeCancel(cancel)
    }
}
