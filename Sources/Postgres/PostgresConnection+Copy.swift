import CLibPQ

extension PostgresConnection {
    /// Runs `COPY … FROM STDIN` (text format) and feeds it the rows `body` writes; returns the rows copied.
    /// If `body` throws, the COPY is aborted (nothing is copied) and the error rethrown.
    @discardableResult
    public func copyIn(_ sql: String, _ body: (inout PostgresCopyWriter) throws -> Void) throws -> Int {
        let handle = try liveHandle()
        try Self.rejectNUL(in: sql, what: "the statement")
        guard let start = PQexec(handle, sql) else {
            throw failure(handle, context: "could not start the COPY")
        }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            // Not a COPY FROM STDIN: report the server's error, or refuse whatever else it was.
            _ = try finish(start, handle: handle)
            throw PostgresError(kind: .protocolViolation, message: "copyIn needs a COPY … FROM STDIN statement")
        }
        PQclear(start)

        var writer = PostgresCopyWriter(connection: self)
        do {
            try body(&writer)
            try writer.flush()
        } catch {
            // The message becomes the server's error text ("COPY from stdin failed: …"); the COPY copies nothing.
            _ = PQputCopyEnd(handle, "aborted by the client")
            drainResults(handle)
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            let error = failure(handle, context: "could not end the COPY")
            drainResults(handle)
            throw error
        }
        let copied: PostgresStatementResult
        do {
            copied = try finish(PQgetResult(handle), handle: handle)
        } catch {
            drainResults(handle)
            throw error
        }
        if let error = drainResults(handle) { throw error }
        return copied.rowsAffected
    }

    /// Sends one chunk of COPY data (blocking mode: libpq waits until it is queued).
    func putCopyData(_ bytes: [UInt8]) throws {
        let handle = try liveHandle()
        let sent = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32(buffer.count)) }
        }
        guard sent == 1 else {
            var error = failure(handle, context: "could not send COPY data")
            if error.kind != .connection { error.kind = .copy }
            throw error
        }
    }
}
