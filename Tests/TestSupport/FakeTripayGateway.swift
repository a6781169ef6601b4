import Foundation

/// A fake Tripay merchant API on loopback: `GET /api-sandbox/transaction/detail?reference=REF` with
/// `Authorization: Bearer KEY`, answered the way Tripay documents it (`success`, `message`, `data`
/// with `reference`, `merchant_ref`, `status`, `amount`, `fee_merchant`, `fee_customer`,
/// `total_fee`, `amount_received`, `paid_at` in unix seconds…). Records come from the test (built
/// from the simulated shop's truth); a test changes one to make the gateway disagree, scripts
/// failures (429, 500) before the next answers, and counts the requests per reference.
public final class FakeTripayGateway: @unchecked Sendable {
    public struct Record: Sendable, Equatable {
        public var reference: String
        public var merchantRef: String
        public var status: String
        public var amount: Int64
        public var feeCustomer: Int64
        public var totalFee: Int64
        public var amountReceived: Int64
        public var paidAt: Int64?

        public init(reference: String, merchantRef: String, status: String, amount: Int64, feeCustomer: Int64 = 0, totalFee: Int64,
                    amountReceived: Int64, paidAt: Int64?) {
            self.reference = reference
            self.merchantRef = merchantRef
            self.status = status
            self.amount = amount
            self.feeCustomer = feeCustomer
            self.totalFee = totalFee
            self.amountReceived = amountReceived
            self.paidAt = paidAt
        }
    }

    public let apiKey: String
    private let lock = NSLock()
    private var records: [String: Record]
    private var failures: [Int] = []
    /// After this many more answers, every request gets `outageStatus` (an outage mid-run).
    private var answersBeforeOutage: Int?
    private var outageStatus = 503
    private var server: LocalHTTPServer!

    public init(apiKey: String, records: [Record]) throws {
        self.apiKey = apiKey
        self.records = Dictionary(records.map { ($0.reference, $0) }, uniquingKeysWith: { first, _ in first })
        server = try LocalHTTPServer(maxRequests: 1_000_000) { [unowned self] request in self.answer(request) }
    }

    deinit { server.stop() }

    /// The base URL for a job spec's `gateway.base_url`.
    public var baseURL: String { "http://127.0.0.1:\(server.port)/api-sandbox" }

    public var requests: [LocalHTTPServer.Request] { server.requests }

    /// The references asked about, one entry per request (retries included).
    public var askedReferences: [String] {
        requests.compactMap { $0.path.components(separatedBy: "reference=").dropFirst().first }
    }

    public var allRecords: [Record] { lock.lock(); defer { lock.unlock() }; return Array(records.values) }

    /// The next requests are answered with these statuses (and an error body), in order.
    public func failNext(_ statuses: [Int]) {
        lock.lock(); defer { lock.unlock() }
        failures += statuses
    }

    /// Answers `answers` more requests, then fails every one with `status` until `endOutage()`.
    public func outage(after answers: Int, status: Int = 503) {
        lock.lock(); defer { lock.unlock() }
        answersBeforeOutage = answers
        outageStatus = status
    }

    public func endOutage() {
        lock.lock(); defer { lock.unlock() }
        answersBeforeOutage = nil
    }

    public func change(_ reference: String, _ edit: (inout Record) -> Void) {
        lock.lock(); defer { lock.unlock() }
        if var record = records[reference] { edit(&record); records[reference] = record }
    }

    public func forget(_ reference: String) {
        lock.lock(); defer { lock.unlock() }
        records[reference] = nil
    }

    private func json(_ status: Int, _ object: [String: Any]) -> LocalHTTPServer.Response {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return LocalHTTPServer.Response(status: status, body: body, headers: ["Content-Type": "application/json"])
    }

    private func answer(_ request: LocalHTTPServer.Request) -> LocalHTTPServer.Response {
        lock.lock()
        var failure = failures.isEmpty ? nil : failures.removeFirst()
        if failure == nil, let left = answersBeforeOutage {
            if left == 0 { failure = outageStatus } else { answersBeforeOutage = left - 1 }
        }
        lock.unlock()
        if let failure {
            return json(failure, ["success": false, "message": failure == 429 ? "Too Many Requests" : "Internal Server Error"])
        }
        guard request.headers["authorization"] == "Bearer \(apiKey)" else {
            return json(401, ["success": false, "message": "Invalid API Key"])
        }
        let prefix = "/api-sandbox/transaction/detail?reference="
        guard request.method == "GET", request.path.hasPrefix(prefix) else {
            return json(404, ["success": false, "message": "Not Found"])
        }
        let reference = String(request.path.dropFirst(prefix.count))
        lock.lock()
        let record = records[reference]
        lock.unlock()
        guard let record else {
            return json(404, ["success": false, "message": "Transaksi tidak ditemukan"])
        }
        let data: [String: Any] = [
            "reference": record.reference, "merchant_ref": record.merchantRef, "payment_selection_type": "static",
            "payment_method": "QRIS", "payment_name": "QRIS", "customer_name": "Pelanggan", "customer_email": "pelanggan@example.com",
            "amount": record.amount, "fee_merchant": record.totalFee - record.feeCustomer, "fee_customer": record.feeCustomer,
            "total_fee": record.totalFee, "amount_received": record.amountReceived, "is_closed_payment": 1, "status": record.status,
            "paid_at": record.paidAt.map { $0 as Any } ?? NSNull(), "note": NSNull(),
        ]
        return json(200, ["success": true, "message": "", "data": data])
    }
}
