import Logging

extension Logger {
    /// A logger that drops everything: the default where a caller (a test, the library used on
    /// its own) does not want remedy's progress and events.
    public static let silent = Logger(label: "remedy", factory: { _ in SwiftLogNoOpLogHandler() })
}
