import CLibPQ
import Logging

/// One libpq connection. Synchronous and not Sendable: use it from one thread at a time.
public final class PostgresConnection {
    /// The PGconn; nil once closed.
    var handle: OpaquePointer?
    let logger: Logger
    /// Kept alive as long as the PGconn, which holds an unretained pointer to it.
    let noticeSink: PostgresNoticeSink

    init(handle: OpaquePointer, logger: Logger, noticeSink: PostgresNoticeSink) {
        self.handle = handle
        self.logger = logger
        self.noticeSink = noticeSink
    }

    deinit {
        close()
    }

    /// Closes the connection. Safe to call more than once.
    public func close() {
        guard let handle else { return }
        self.handle = nil
        PQfinish(handle)
    }

    /// True inside a transaction block, including one that failed and awaits ROLLBACK.
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// The server process serving this connection (for pg_stat_activity, pg_terminate_backend); 0 once closed.
    public var backendPID: Int32 {
        guard let handle else { return 0 }
        return PQbackendPID(handle)
    }

    /// e.g. 150018 for 15.18; 0 once closed.
    public var serverVersionNumber: Int {
        guard let handle else { return 0 }
        return Int(PQserverVersion(handle))
    }

    /// Where this connection went, as libpq reached it: `host:port/database` (the host may be a
    /// Unix socket directory). Never the URL or conninfo it was given, which may hold a password.
    public var serverEndpoint: String {
        guard let handle else { return "(closed)" }
        return "\(String(cString: PQhost(handle))):\(String(cString: PQport(handle)))/\(String(cString: PQdb(handle)))"
    }

    /// The handle of an open, healthy connection, or a `.connection` error.
    func liveHandle() throws -> OpaquePointer {
        guard let handle else {
            throw PostgresError(kind: .connection, message: "the connection is closed")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError.fromConnection(handle, kind: .connection, context: "the connection to the server was lost")
        }
        return handle
    }
}
