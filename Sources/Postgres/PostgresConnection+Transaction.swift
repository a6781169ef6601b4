import CLibPQ

extension PostgresConnection {
    /// Runs `body` in a transaction: COMMIT when it returns, ROLLBACK (then rethrow) when it throws.
    /// Throws without committing if a statement inside failed and `body` swallowed the error.
    public func transaction<T>(_ options: TransactionOptions = TransactionOptions(), _ body: () throws -> T) throws -> T {
        let handle = try liveHandle()
        guard PQtransactionStatus(handle) == PQTRANS_IDLE else {
            throw PostgresError(kind: .protocolViolation, message: "a transaction is already open on this connection; nested transactions are not supported")
        }
        try executeScript(options.beginStatement)

        let value: T
        do {
            value = try body()
        } catch {
            rollBackQuietly()
            throw error
        }

        // COMMIT of a failed transaction "succeeds" as ROLLBACK; do not let that pass as a commit.
        if let handle = self.handle, PQtransactionStatus(handle) == PQTRANS_INERROR {
            rollBackQuietly()
            throw PostgresError(kind: .server, message: "the transaction was rolled back: a statement inside it failed", sqlState: "25P02")
        }
        let commit = try run("COMMIT", [])
        guard commit.commandTag == "COMMIT" else {
            throw PostgresError(kind: .server, message: "COMMIT answered \(commit.commandTag); the transaction was not committed")
        }
        return value
    }

    /// ROLLBACK after the body failed; the body's error matters more than one from ROLLBACK, which is only logged.
    private func rollBackQuietly() {
        guard let handle, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) != PQTRANS_IDLE else { return }
        do {
            try executeScript("ROLLBACK")
        } catch {
            logger.warning("ROLLBACK failed: \(error)")
        }
    }
}
