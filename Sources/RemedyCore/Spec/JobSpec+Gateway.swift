import Foundation

extension JobSpec {
    /// `gateway:` (optional): validated here so a typo or a secret pasted into the spec is one line
    /// naming the key, before anything is fetched.
    static func loadGateway(_ node: inout SpecNode) throws -> GatewaySettings {
        let kindText = try node.string("kind")
        guard let kind = GatewaySettings.Kind(rawValue: kindText) else {
            throw RemedyError(.badSpec, "\(node.file): gateway.kind \"\(kindText)\" is unknown; known: \(GatewaySettings.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var base = try node.string("base_url")
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), ["https", "http"].contains(scheme), url.host != nil,
              url.query == nil, url.user == nil, url.password == nil else {
            throw RemedyError(.badSpec, "\(node.file): gateway.base_url must be an http(s) URL without a query or credentials, e.g. https://tripay.co.id/api")
        }
        // Plain http only to this machine (a test gateway): the key must never cross a network in clear.
        if scheme == "http", !["127.0.0.1", "localhost", "::1"].contains(url.host ?? "") {
            throw RemedyError(.badSpec, "\(node.file): gateway.base_url must use https (the API key travels in a header); http is allowed only to 127.0.0.1")
        }
        let environment = try node.string("api_key_env")
        guard SpecName.isEnvironmentVariable(environment) else {
            throw RemedyError(.badSpec, "\(node.file): gateway.api_key_env must name an environment variable (UPPER_CASE); the key is a secret and never goes in the spec")
        }
        var fields = GatewaySettings.Fields()
        if var fieldsNode = try node.optionalChild("fields") {
            func field(_ key: String, _ value: inout String) throws {
                guard let text = try fieldsNode.optionalString(key) else { return }
                guard SpecName.isField(text) else {
                    throw RemedyError(.badSpec, "\(node.file): gateway.fields.\(key) \"\(text)\" is not a plain field name")
                }
                value = text
            }
            try field("reference", &fields.reference)
            try field("merchant_ref", &fields.merchantRef)
            try field("status", &fields.status)
            try field("amount", &fields.amount)
            try field("fee_customer", &fields.feeCustomer)
            try field("amount_received", &fields.amountReceived)
            try field("paid_at", &fields.paidAt)
            try fieldsNode.finish()
        }
        let paidStatus = try node.optionalString("paid_status") ?? "PAID"
        guard !paidStatus.isEmpty, paidStatus.count <= 32 else {
            throw RemedyError(.badSpec, "\(node.file): gateway.paid_status must be the gateway's word for a settled payment, e.g. PAID")
        }
        let refundStatus = try node.optionalString("refund_status") ?? "REFUND"
        guard !refundStatus.isEmpty, refundStatus.count <= 32 else {
            throw RemedyError(.badSpec, "\(node.file): gateway.refund_status must be the gateway's word for a refunded payment, e.g. REFUND")
        }
        return GatewaySettings(
            kind: kind, baseURL: base, apiKeyEnvironment: environment,
            requestsPerSecond: try node.int("requests_per_second", default: 4, range: 1...50),
            requestTimeoutSeconds: try node.int("request_timeout_seconds", default: 15, range: 1...300),
            retries: try node.int("retries", default: 4, range: 0...10),
            retryBackoffMilliseconds: try node.int("retry_backoff_milliseconds", default: 500, range: 1...60_000),
            paidAtToleranceSeconds: try node.int("paid_at_tolerance_seconds", default: 300, range: 0...86_400),
            paidStatus: paidStatus, refundStatus: refundStatus,
            merchantRefColumn: try node.optionalIdentifier("merchant_ref_column"),
            fields: fields)
    }
}
