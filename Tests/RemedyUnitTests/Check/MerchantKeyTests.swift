import Testing
@testable import RemedyCore

/// Tripay's X-Callback-Signature: lowercase hex HMAC-SHA256 of the raw body under the merchant's
/// private key. The expected value was computed independently (Python's hmac module).
@Suite("Merchant key: callback signatures")
struct MerchantKeyTests {
    static let body = Array(#"{"reference":"DEV-T1234567890ABCDE","merchant_ref":"INV-1","total_amount":10000,"amount_received":9180,"status":"PAID","paid_at":1732000000,"note":null}"#.utf8)
    static let signature = "73c1a040cc11c94b88659163daea56e2d40f3d97a9dcbc5224f162ce56470daf"
    static let key = MerchantKey("DEV-merchant-private-key")
    static let mapping = ShopSchemaMap.CallbackSignature(
        signature: try! SQLIdentifier(validating: "tripay_callback_signature", what: "signature"), rawBody: try! SQLIdentifier(validating: "tripay_callback_raw", what: "raw_body"),
        privateKeyEnvironment: "TRIPAY_PRIVATE_KEY")

    @Test func signsAndVerifiesAsTripayDoes() {
        #expect(Self.key.signature(of: Self.body) == Self.signature)
        #expect(Self.key.signs(Self.body, as: Self.signature))
        #expect(Self.key.signs(Self.body, as: Self.signature.uppercased()))
    }

    @Test func refusesAnAlteredBodyAnotherKeyAndMalformedSignatures() {
        var altered = Self.body
        altered[altered.firstIndex(of: UInt8(ascii: "9"))!] = UInt8(ascii: "8")
        #expect(!Self.key.signs(altered, as: Self.signature))
        // The same body re-serialised (as jsonb prints it) is other bytes.
        #expect(!Self.key.signs(Array(#"{"note": null, "status": "PAID"}"#.utf8), as: Self.signature))
        #expect(!MerchantKey("DEV-merchant-private-kez").signs(Self.body, as: Self.signature))
        for malformed in ["", String(Self.signature.dropLast()), String(Self.signature.dropLast(2)), Self.signature + "00",
                          "zz" + Self.signature.dropFirst(2)] {
            #expect(!Self.key.signs(Self.body, as: malformed), "\(malformed)")
        }
    }

    @Test func theKeyIsNeverPrintedAndAMissingVariableIsOneLineNamingOnlyIt() throws {
        #expect("\(Self.key)" == "(the merchant's private key)")
        for environment in [[:], ["TRIPAY_PRIVATE_KEY": ""], ["TRIPAY_PRIVATE_KEY": " \n"]] {
            let error = try #require(throws: RemedyError.self) { try MerchantKey.load(Self.mapping, environment: environment) }
            #expect(error.message.contains("$TRIPAY_PRIVATE_KEY is not set"))
            #expect(!error.message.contains("\n"))
        }
        let loaded = try MerchantKey.load(Self.mapping, environment: ["TRIPAY_PRIVATE_KEY": "DEV-merchant-private-key\n"])
        #expect(loaded.signs(Self.body, as: Self.signature))
    }
}
