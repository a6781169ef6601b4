import CLibPQ
import Logging

/// Receives the server's NOTICE and WARNING messages (libpq calls it through an unretained pointer).
final class PostgresNoticeSink {
    let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func install(on handle: OpaquePointer) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = PQsetNoticeReceiver(handle, { context, result in
            guard let context, let result else { return }
            Unmanaged<PostgresNoticeSink>.fromOpaque(context).takeUnretainedValue().receive(result)
        }, context)
    }

    private func receive(_ result: OpaquePointer) {
        let notice = PostgresError(result: result)
        let level: Logger.Level = notice.severity == "WARNING" ? .warning : .notice
        logger.log(level: level, "\(notice.description)", metadata: ["postgres.sqlstate": "\(notice.sqlState ?? "")"])
    }
}
