import Logging
extension ScheduledRun {
    /// Builds the run (reading the key and the policy, connecting to the database) and sends one
    /// `run_failed` if that fails, whatever the error: a database that cannot be reached must reach
    /// people too. From `run` on, `run` reports its own failure, so each failure is sent once.
    public static func prepare(job: String, notifier: Notifier, logger: Logger = .silent,
                               _ make: () throws -> ScheduledRun) throws -> ScheduledRun {
        do {
            return try make()
        } catch {
            let reason = (error as? RemedyError)?.message ?? "\(error)"
            if let problem = notifier.send(RunNotification(event: .runFailed, job: job, text: "remedy \(job): run refused before it started: \(reason)")) {
                logger.warning("notification not delivered: \(problem)", metadata: ["step": "notify", "job": "\(job)"])
            }
            throw error
        }
    }
}
