import CLibPQ

extension PostgresConnection {
    /// Runs `COPY … FROM STDIN` (text format) and feeds it the rows `body` writes; returns the rows copied.
    /// If `body` throws, the COPY is aborted (nothing is copied) and the error rethrown.
    @discardableResult
    public func copyIn(_ sql: String, _ body: (inout PostgresCopyWriter) throws -> Void) throws -> Int {
        let handle = try startCopy(sql, expecting: PGRES_COPY_IN, "copyIn needs a COPY … FROM STDIN statement")

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
        return try copyResult(handle)
    }

    /// Sends the COPY statement; the connection is then in the COPY state `status` names. Anything
    /// else is the server's error, or refused with `refusal`.
    private func startCopy(_ sql: String, expecting status: ExecStatusType, _ refusal: String) throws -> OpaquePointer {
        let handle = try liveHandle()
        try Self.rejectNUL(in: sql, what: "the statement")
        guard let start = PQexec(handle, sql) else {
            throw failure(handle, context: "could not start the COPY")
        }
        guard PQresultStatus(start) == status else {
            // Not the COPY asked for: report the server's error, or refuse whatever else it was.
            _ = try finish(start, handle: handle)
            throw PostgresError(kind: .protocolViolation, message: refusal)
        }
        PQclear(start)
        return handle
    }

    /// The ended COPY's result: the rows it copied, or the server's error; the connection drained either way.
    private func copyResult(_ handle: OpaquePointer) throws -> Int {
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

extension PostgresConnection {
    /// Runs `COPY … TO STDOUT` and hands each CopyData message to `onData` as it arrives: one row in
    /// text format, or in binary format (PostgresBinaryCopy reads those). The bytes are valid only
    /// during the call. Returns the rows copied. If `onData` throws, the COPY is cancelled, what is
    /// still on its way discarded, and the error rethrown. `maximumMessages` bounds the loop.
    @discardableResult
    public func copyOut(_ sql: String, maximumMessages: Int = Int(Int32.max), onData: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let handle = try startCopy(sql, expecting: PGRES_COPY_OUT, "copyOut needs a COPY … TO STDOUT statement")

        var buffer: UnsafeMutablePointer<CChar>?
        for _ in 0...maximumMessages {
            let length = PQgetCopyData(handle, &buffer, 0)
            guard length >= 0, let data = buffer else {
                // -1: the COPY is done and its result follows; -2: the connection failed.
                guard length == -1 else {
                    let error = failure(handle, context: "the COPY's data could not be read")
                    drainResults(handle)
                    throw error
                }
                return try copyResult(handle)
            }
            defer { PQfreemem(data); buffer = nil }
            do {
                try onData(UnsafeRawBufferPointer(start: data, count: Int(length)))
            } catch {
                cancelCopyOut(handle)
                throw error
            }
        }
        cancelCopyOut(handle)
        throw PostgresError(kind: .protocolViolation, message: "the COPY sent more than \(maximumMessages) messages")
    }

    /// Asks the server to stop a COPY TO STDOUT, discards the rows still on their way, then its result.
    private func cancelCopyOut(_ handle: OpaquePointer) {
        sendCancel(handle)
        discardCopyOutData(handle)
        // The expected 57014 (query_canceled) is of no interest: the caller's error wins.
        drainResults(handle)
    }
}
