/// The job spec's `gateway:` section: where remedy asks the payment gateway for its own record of
/// a top-up (`remedy evidence`, `remedy plan --gateway-evidence`). The API key is a secret: the
/// spec names the environment variable that holds it, never the key.
public struct GatewaySettings: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Tripay's merchant API: `GET {base}/transaction/detail?reference=REF`.
        case tripay
    }

    /// Where each compared value sits in the response's `data` object.
    public struct Fields: Sendable, Equatable {
        public var reference = "reference"
        public var merchantRef = "merchant_ref"
        public var status = "status"
        public var amount = "amount"
        /// Added to what the customer paid when the customer bears the fee; subtracted before
        /// `amount` is compared with the shop's amount. Missing in a response: zero.
        public var feeCustomer = "fee_customer"
        public var amountReceived = "amount_received"
        public var paidAt = "paid_at"
    }

    public let kind: Kind
    /// `https://tripay.co.id/api` (production) or `https://tripay.co.id/api-sandbox`, no trailing slash.
    public let baseURL: String
    /// The environment variable holding the API key.
    public let apiKeyEnvironment: String
    public let requestsPerSecond: Int
    public let requestTimeoutSeconds: Int
    /// Retries of one request after a timeout, a 429 or a 5xx (so up to retries + 1 attempts).
    public let retries: Int
    /// The first retry's wait; each later one doubles it, plus up to as much again of jitter.
    public let retryBackoffMilliseconds: Int
    /// How far the gateway's paid_at may be from the shop's and still agree.
    public let paidAtToleranceSeconds: Int
    /// The status word of a settled payment.
    public let paidStatus: String
    /// The status word of a payment the gateway refunded: accepted for a top-up the plan names
    /// whose shop row left completed since (the shop refunded it), never for one still completed.
    public let refundStatus: String
    /// The shop's column holding the merchant_ref it sent the gateway (default: the transaction's id).
    public let merchantRefColumn: SQLIdentifier?
    public let fields: Fields
}
