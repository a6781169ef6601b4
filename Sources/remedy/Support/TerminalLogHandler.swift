import Logging

/// remedy's log lines: one line each on stderr, through `Terminal.progress`, so a message or a
/// metadata value that carries a string from the database (a server NOTICE raised by a trigger
/// can quote a username) is shown escaped like everything else a person reads.
struct TerminalLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = metadata.merging(event.metadata ?? [:]) { $1 }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        Terminal.progress("\(event.level): \(event.message)\(fields.isEmpty ? "" : " [\(fields.joined(separator: " "))]")")
    }
}
