import CLibPQ

extension PostgresConnection {
    /// Sends a statement and flushes it to the server without reading the answer. Only for
    /// crash tests: a process that dies right after this leaves the statement's outcome (e.g. a
    /// COMMIT) unknown to itself, exactly like a connection cut while COMMIT is in flight.
    public func sendWithoutWaitingForTheAnswer(_ sql: String) throws {
        let handle = try liveHandle()
        guard PQsendQuery(handle, sql) == 1 else {
            throw PostgresError.fromConnection(handle, kind: .connection, context: "could not send the statement")
        }
        // Bounded: PQflush returns 1 while data remains; the socket is blocking, so this ends.
        for _ in 0..<1_000 where PQflush(handle) == 1 {}
    }
}
