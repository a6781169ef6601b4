import Crypto
import Foundation
import Postgres

/// The stored Tripay callbacks of the bug-window top-ups, each checked against its stored
/// `X-Callback-Signature`: HMAC-SHA256 of the raw body keyed with the merchant's private key,
/// lowercase hex. A correction that rests on a top-up whose callback fails is held (LineStrategy);
/// `remedy check` and the plan's warnings list them.
public struct CallbackSignatures: Sendable {
    /// Why a stored callback does not prove that Tripay sent it.
    public enum Failure: String, Sendable, Codable {
        /// A signature and a body are stored, and the signature is not the body's HMAC under the
        /// merchant's key: forged, or the body altered after Tripay signed it.
        case mismatch = "signature mismatch"
        /// No signature, or no body, stored for a paid top-up.
        case missing = "signature or body missing"
    }

    /// Paid bug-window top-ups whose stored callback verified.
    public var verified = 0
    /// Reference → what failed, for every top-up whose stored callback did not verify.
    public var failures: [String: Failure] = [:]

    public init() {}

    /// The references that failed in `way`, sorted.
    public func references(_ way: Failure) -> [String] {
        failures.filter { $0.value == way }.map(\.key).sorted()
    }

    /// Column types whose text is the body as received. jsonb is not: it keeps a parsed copy
    /// (keys reordered, whitespace dropped), so no HMAC over it can be checked.
    static let verifiableTypes: Set<String> = ["bytea", "text", "character varying", "character", "json"]

    /// Reads and verifies every paid bug-window top-up's stored callback, streamed (only the
    /// failures are kept). The body column must be of a verifiable type (the caller checked).
    static func verify(_ mapping: ShopSchemaMap.CallbackSignature, bodyIsBytea: Bool, key: MerchantKey,
                       template: SQLTemplate, on connection: PostgresConnection) throws -> CallbackSignatures {
        let rendered = try template.adding([
            "callback.body_bytes": CallbackSQL.bodyBytes(mapping.rawBody, isBytea: bodyIsBytea),
            "callback.signature": mapping.signature.sql,
        ]).render(CallbackSQL.signedCallbacks, file: "CallbackSQL")
        var result = CallbackSignatures()
        try connection.stream(rendered.sql, rendered.parameters) { row in
            let reference: String = try row.decode(0)
            let body = bodyIsBytea ? try row.decode(1, as: [UInt8]?.self) : try row.decode(1, as: String?.self).map { Array($0.utf8) }
            let signature = try row.decode(2, as: String?.self)
            guard let body, let signature, !signature.isEmpty else {
                result.failures[reference] = .missing
                return
            }
            if key.signs(body, as: signature) {
                result.verified += 1
            } else {
                result.failures[reference] = .mismatch
            }
        }
        return result
    }
}

/// The merchant's private key, read from the environment variable the spec names. A secret: it
/// is never printed, logged, written to a plan or named in an error (only its variable is).
public struct MerchantKey: Sendable, CustomStringConvertible {
    private let key: SymmetricKey

    public init(_ secret: String) {
        key = SymmetricKey(data: Data(secret.utf8))
    }

    /// The key from `mapping.privateKeyEnvironment`; refuses, naming only the variable, when it
    /// is unset or empty.
    public static func load(_ mapping: ShopSchemaMap.CallbackSignature,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MerchantKey {
        let name = mapping.privateKeyEnvironment
        guard let text = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else {
            throw RemedyError(.badInput,
                "$\(name) is not set: schema.transactions.callback_signature asks remedy to verify the stored Tripay callbacks with the merchant's private key from it; export it (Tripay dashboard → merchant → private key) or remove callback_signature from job.yaml")
        }
        return MerchantKey(text)
    }

    /// Whether `signature` (lowercase or uppercase hex) is the HMAC-SHA256 of `body` under this
    /// key, compared in constant time.
    public func signs(_ body: [UInt8], as signature: String) -> Bool {
        guard let code = Self.bytes(hex: signature), code.count == SHA256.byteCount else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: body, using: key)
    }

    /// Lowercase hex HMAC-SHA256 of `body`: what Tripay sends as X-Callback-Signature.
    public func signature(of body: [UInt8]) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: key)).hexString
    }

    public var description: String { "(the merchant's private key)" }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}
