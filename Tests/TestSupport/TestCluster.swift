import EphemeralPostgres
import Logging

/// One throwaway cluster per test process, started on first use; the registry's exit hook stops it.
public enum TestCluster {
    /// Swift runs a static initializer once, thread-safely; the result keeps a start failure for every caller.
    private static let started = Result { try EphemeralCluster.start(logger: TestLogger.shared) }

    /// The shared cluster; a start failure stops the test process with the reason (use `TestDatabase.make()`
    /// to get it as a thrown error instead).
    public static var shared: EphemeralCluster {
        do {
            return try started.get()
        } catch {
            fatalError("TestCluster: could not start PostgreSQL: \(error)")
        }
    }

    static func get() throws -> EphemeralCluster {
        try started.get()
    }
}

/// The logger test support hands to clusters and connections.
public enum TestLogger {
    public static let shared: Logger = {
        var logger = Logger(label: "remedy.tests")
        logger.logLevel = .notice
        return logger
    }()
}
