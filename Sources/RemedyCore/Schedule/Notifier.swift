import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// What a scheduled run tells people: a JSON body with a Slack-compatible `text`.
public struct RunNotification: Encodable, Sendable {
    public enum Event: String, Encodable, Sendable {
        case driftFound = "drift_found"
        case planWaiting = "plan_waiting"
        case appliedAutomatically = "applied_automatically"
        case runFailed = "run_failed"
    }
    public let event: Event
    public let job: String
    public let text: String
    public var planDigest: String?
    public var bundle: String?
    public var totals: PlanTotals?
    /// The audit chain's head when the notification was sent, signed by the run's operator: the
    /// webhook's receiver keeps a head the database cannot take back (`audit verify --head`).
    public var signedAuditHead: SignedAuditHead?

    public init(event: Event, job: String, text: String, planDigest: String? = nil, bundle: String? = nil, totals: PlanTotals? = nil) {
        self.event = event
        self.job = job
        self.text = text
        self.planDigest = planDigest
        self.bundle = bundle
        self.totals = totals
    }
}

/// Posts notifications to a webhook, retrying with backoff. The URL is a secret (a Slack webhook
/// carries its token in the path): it is never printed or logged; messages name the host only.
public struct Notifier: Sendable {
    public static let defaultEnvironmentVariable = "REMEDY_WEBHOOK_URL"
    static let maxAttempts = 4
    static let timeoutSeconds = 10.0

    let url: URL?
    let backoffMilliseconds: Int

    public init(url: URL?, backoffMilliseconds: Int = 500) {
        self.url = url
        self.backoffMilliseconds = backoffMilliseconds
    }

    /// The webhook named by the job spec's `notify.webhook_env` (default REMEDY_WEBHOOK_URL).
    public static func from(spec: JobSpec, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Notifier {
        guard let text = environment[spec.notifyWebhookEnvironment], !text.isEmpty else { return Notifier(url: nil) }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw RemedyError(.badInput, "$\(spec.notifyWebhookEnvironment) is not an http(s) URL; fix or unset it")
        }
        return Notifier(url: url)
    }

    public var isConfigured: Bool { url != nil }
    public var hostDescription: String { url?.host ?? "none" }

    /// Sends, retrying on network errors and HTTP 5xx/429; returns a failure description (host
    /// and status only), or nil when delivered or when no webhook is configured.
    @discardableResult
    public func send(_ notification: RunNotification) -> String? {
        guard let url else { return nil }
        guard let body = try? CanonicalJSON.encode(notification) else { return "the notification could not be encoded" }
        var lastProblem = ""
        for attempt in 1...Notifier.maxAttempts {
            let status = post(body, to: url)
            switch status {
            case .delivered: return nil
            case .rejected(let code):
                return "webhook at \(hostDescription) refused the notification with HTTP \(code)"
            case .retry(let problem):
                lastProblem = problem
                if attempt < Notifier.maxAttempts {
                    Thread.sleep(forTimeInterval: Double(backoffMilliseconds << (attempt - 1)) / 1_000)
                }
            }
        }
        return "webhook at \(hostDescription) failed after \(Notifier.maxAttempts) attempts: \(lastProblem)"
    }

    private enum Delivery { case delivered, rejected(Int), retry(String) }

    private func post(_ body: Data, to url: URL) -> Delivery {
        var request = URLRequest(url: url, timeoutInterval: Notifier.timeoutSeconds)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("remedy/\(remedyVersion)", forHTTPHeaderField: "User-Agent")
        request.httpBody = body
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        session.dataTask(with: request) { _, response, error in
            // Never describe `error` itself: its text includes the URL.
            if let error = error as? URLError {
                box.set(.retry("network error \(error.code.rawValue)"))
            } else if error != nil {
                box.set(.retry("network error"))
            } else if let code = (response as? HTTPURLResponse)?.statusCode {
                box.set((200..<300).contains(code) ? .delivered : (code >= 500 || code == 429) ? .retry("HTTP \(code)") : .rejected(code))
            } else {
                box.set(.retry("no HTTP response"))
            }
            done.signal()
        }.resume()
        if done.wait(timeout: .now() + Notifier.timeoutSeconds + 5) == .timedOut { return .retry("timed out") }
        return box.value ?? .retry("no answer")
    }

    private final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: Delivery?
        func set(_ value: Delivery) { lock.lock(); stored = value; lock.unlock() }
        var value: Delivery? { lock.lock(); defer { lock.unlock() }; return stored }
    }
}
