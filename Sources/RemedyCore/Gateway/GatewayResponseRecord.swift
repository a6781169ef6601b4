import Foundation

/// What the gateway said about one reference, as kept in a bundle (`evidence/REFERENCE.json`,
/// canonical JSON): the response body exactly as received, so approvers sign over the gateway's
/// own words, not remedy's reading of them. Never the API key (it travels only in a header).
public struct GatewayResponseRecord: Codable, Sendable, Equatable {
    public static let currentFormat = "remedy-gateway-response/v1"
    /// A response body larger than this is refused (Tripay's detail answers are about 2 KB).
    static let maxBodyBytes = 256 * 1024

    public var format: String
    public var reference: String
    /// The URL asked (`{base}/transaction/detail?reference=REF`).
    public var url: String
    public var httpStatus: Int
    public var fetchedAt: String
    /// The body as received, UTF-8.
    public var body: String

    /// A reference remedy will ask about and name a file after: what Tripay issues
    /// (`T4715928751370JMVQX`, `DEV-T…`), nothing a path or a query could be built from.
    public static func isSafeReference(_ reference: String) -> Bool {
        reference.range(of: #"^[A-Za-z0-9_-]{1,64}$"#, options: .regularExpression) != nil
    }

    static func fileName(_ reference: String) -> String { "\(reference).json" }

    /// The canonical bytes (their SHA-256 is what plan.json lists).
    func encoded() -> Data {
        CanonicalJSONWriter.encode(self)
    }

    /// A stored record: canonical (read, written again and the very bytes), of this format, about
    /// `reference`; nil when it is not.
    static func decodeStored(_ data: Data, reference: String) -> GatewayResponseRecord? {
        guard let record = data.withUnsafeBytes({ GatewayResponseRecord.read($0) }), record.format == currentFormat,
              record.reference == reference, record.encoded() == data else { return nil }
        return record
    }
}
