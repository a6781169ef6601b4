import Foundation
import Testing
import TestSupport
@testable import RemedyCore

/// The job spec's `gateway:` section: the shipped one loads with its defaults, and each mistake an
/// operator can make is refused in one line naming the key (a key pasted into the spec, a plain-http
/// gateway on the network, a rate of zero, a field name that is not one).
@Suite("Gateway section of a job spec")
struct GatewaySpecTests {
    @Test func theShippedGatewayLoads() throws {
        let spec = try JobSpec.load(directory: repositoryRoot.path + "/jobs/tripay-double-credit")
        let gateway = try #require(spec.gateway)
        #expect(gateway.kind == .tripay)
        #expect(gateway.baseURL == "https://tripay.co.id/api")
        #expect(gateway.apiKeyEnvironment == "TRIPAY_API_KEY")
        #expect(gateway.requestsPerSecond == 4)
        #expect(gateway.paidAtToleranceSeconds == 300)
        #expect(gateway.paidStatus == "PAID")
        #expect(gateway.merchantRefColumn?.sql == #""tripay_merchant_ref""#)
        #expect(gateway.fields == GatewaySettings.Fields())
    }

    @Test(arguments: [
        ("kind: tripay", "kind: midtrans", "gateway.kind \"midtrans\" is unknown"),
        ("base_url: https://tripay.co.id/api\n", "base_url: http://tripay.co.id/api\n", "must use https"),
        ("base_url: https://tripay.co.id/api\n", "base_url: https://user:pw@tripay.co.id/api\n", "without a query or credentials"),
        ("base_url: https://tripay.co.id/api\n", "base_url: tripay.co.id\n", "must be an http(s) URL"),
        ("api_key_env: TRIPAY_API_KEY", "api_key_env: DEV-abc123secret", "must name an environment variable"),
        ("requests_per_second: 4 ", "requests_per_second: 0 ", "gateway.requests_per_second must be a whole number from 1 to 50"),
        ("request_timeout_seconds: 15", "request_timeout_seconds: 0", "gateway.request_timeout_seconds must be a whole number"),
        ("retries: 4 ", "retries: many ", "gateway.retries must be a whole number"),
        ("paid_at_tolerance_seconds: 300", "paid_at_tolerance_seconds: -1", "gateway.paid_at_tolerance_seconds must be a whole number"),
        ("merchant_ref_column: tripay_merchant_ref", "merchant_ref_column: \"x; DROP TABLE y\"", "is not a valid SQL name"),
        ("  paid_status: PAID", "  paid_status: PAID\n  api_key: DEV-abc", "unknown key \"gateway.api_key\""),
        ("  # fields: { amount_received: amount_received, paid_at: paid_at }", "  fields: { amount_received: \"data.amount\" }", "gateway.fields.amount_received \"data.amount\" is not a plain field name"),
    ])
    func aBadGatewayIsRefusedInOneLineNamingTheKey(original: String, replacement: String, message: String) throws {
        try expectSpecRefused(replacing: original, with: replacement, message: message)
    }

    @Test func plainHTTPIsAllowedToThisMachineOnly() throws {
        let copy = try JobCopy { $0.replacingOccurrences(of: "base_url: https://tripay.co.id/api\n", with: "base_url: http://127.0.0.1:8080/api-sandbox/\n") }
        #expect(try JobSpec.load(directory: copy.directory).gateway?.baseURL == "http://127.0.0.1:8080/api-sandbox")
    }
}
