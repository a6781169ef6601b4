import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging

/// Asks the payment gateway for one transaction's detail over Foundation's URLSession (libcurl
/// underneath on Linux), the way a payments API wants to be asked: no faster than the spec's
/// rate, each request bounded by a timeout, retried with exponential backoff and jitter after a
/// timeout, a dropped connection, a 429 (honouring a short Retry-After) or a 5xx, and stopped at
/// once by a refused key (401/403), which no retry can fix.
///
/// The key goes only into the Authorization header of requests to `gateway.base_url`; it is never
/// logged, never stored, and no error built here contains it.
public final class GatewayClient {
    /// A response remedy keeps: any status but a refusal of the key or a transient failure.
    public struct Response {
        public let url: String
        public let status: Int
        public let body: Data
    }

    let settings: GatewaySettings
    private let apiKey: String
    private let session: URLSession
    private var lastRequestStart: Date?
    /// Requests sent (retries included), for the run's summary.
    public private(set) var requestsSent = 0

    public init(settings: GatewaySettings, apiKey: String) {
        self.settings = settings
        self.apiKey = apiKey
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = TimeInterval(settings.requestTimeoutSeconds)
        configuration.timeoutIntervalForResource = TimeInterval(settings.requestTimeoutSeconds)
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    deinit { session.invalidateAndCancel() }

    /// `GET {base}/transaction/detail?reference=REF`. `reference` must be `isSafeReference`.
    public func transactionDetail(reference: String) throws -> Response {
        precondition(GatewayResponseRecord.isSafeReference(reference), "only safe references are asked about")
        let text = "\(settings.baseURL)/transaction/detail?reference=\(reference)"
        guard let url = URL(string: text) else { throw RemedyError(.badSpec, "gateway.base_url does not make a valid URL with \(reference)") }
        var request = URLRequest(url: url, timeoutInterval: TimeInterval(settings.requestTimeoutSeconds))
        request.httpMethod = "GET"
        request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Accept")

        var attempt = 0
        while true {
            waitForRate()
            let outcome = send(request)
            let retryable: String
            switch outcome {
            case .response(let status, let body, let retryAfter):
                if status == 401 || status == 403 {
                    throw RemedyError(.gateway, "the gateway refused the API key in $\(settings.apiKeyEnvironment) (HTTP \(status) for \(reference)): check the key, and that this machine's IP is whitelisted at \(settings.kind.rawValue); nothing was changed")
                }
                if status == 429 || (500...599).contains(status) {
                    retryable = "HTTP \(status)"
                    if attempt < settings.retries {
                        pause(attempt: attempt, retryAfter: retryAfter)
                        attempt += 1
                        continue
                    }
                } else {
                    guard body.count <= GatewayResponseRecord.maxBodyBytes else {
                        throw RemedyError(.gateway, "the gateway's answer for \(reference) is larger than \(GatewayResponseRecord.maxBodyBytes) bytes; remedy keeps no such answer")
                    }
                    return Response(url: text, status: status, body: body)
                }
            case .failed(let why):
                retryable = why
                if attempt < settings.retries {
                    pause(attempt: attempt, retryAfter: nil)
                    attempt += 1
                    continue
                }
            }
            throw RemedyError(.gateway, "the gateway did not answer for \(reference) after \(attempt + 1) attempt(s) (last: \(retryable)); run the same command again later: answers already fetched are kept")
        }
    }

    private enum Outcome {
        case response(status: Int, body: Data, retryAfterSeconds: Int?)
        /// A timeout or a network failure: worth another try.
        case failed(String)
    }

    private final class Box: @unchecked Sendable {
        var data: Data?
        var response: URLResponse?
        var error: (any Error)?
    }

    private func send(_ request: URLRequest) -> Outcome {
        requestsSent += 1
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        session.dataTask(with: request) { data, response, error in
            box.data = data
            box.response = response
            box.error = error
            done.signal()
        }.resume()
        done.wait()
        if let error = box.error {
            // Only the kind of failure: URLError's text can quote the URL, never the header, but a
            // short fixed phrase is all a person needs here.
            let code = (error as? URLError)?.code
            return .failed(code == .timedOut ? "timed out after \(settings.requestTimeoutSeconds) s" : "network error \(code.map { "\($0.rawValue)" } ?? "")")
        }
        guard let http = box.response as? HTTPURLResponse else { return .failed("no HTTP response") }
        let retryAfter = (http.value(forHTTPHeaderField: "Retry-After")).flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        return .response(status: http.statusCode, body: box.data ?? Data(), retryAfterSeconds: retryAfter)
    }

    /// Keeps request starts at least 1/requests_per_second apart.
    private func waitForRate() {
        let interval = 1.0 / Double(settings.requestsPerSecond)
        if let last = lastRequestStart {
            let wait = interval - Date().timeIntervalSince(last)
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        }
        lastRequestStart = Date()
    }

    /// Backoff before retry `attempt + 1`: base × 2^attempt plus up to as much again of jitter,
    /// or the server's Retry-After when it asks for at most a minute.
    private func pause(attempt: Int, retryAfter: Int?) {
        if let retryAfter, (0...60).contains(retryAfter) {
            Thread.sleep(forTimeInterval: Double(retryAfter))
            return
        }
        let base = Double(settings.retryBackoffMilliseconds) / 1_000 * Double(1 << min(attempt, 10))
        Thread.sleep(forTimeInterval: base + Double.random(in: 0...base))
    }
}
