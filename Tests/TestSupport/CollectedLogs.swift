import Foundation
import Logging

/// What a logger was told, for tests that assert on progress and events.
public final class CollectedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [(level: Logger.Level, message: String)] = []

    public init() {}

    public var entries: [(level: Logger.Level, message: String)] {
        lock.withLock { stored }
    }

    public func append(_ level: Logger.Level, _ message: String) {
        lock.withLock { stored.append((level, message)) }
    }

    /// A logger that keeps every message here.
    public var logger: Logger {
        Logger(label: "collected") { _ in CollectingLogHandler(logs: self) }
    }
}

public struct CollectingLogHandler: LogHandler {
    public let logs: CollectedLogs
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(logs: CollectedLogs) {
        self.logs = logs
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        logs.append(event.level, event.message.description)
    }
}
