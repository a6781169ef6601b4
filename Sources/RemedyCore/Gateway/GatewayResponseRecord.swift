import Foundation

/// What the gateway said about one reference, as kept in a bundle (`evidence/REFERENCE.json`,
/// canonical JSON): the response body exactly as received, so approvers sign over the gateway's
/// own words, not remedy's reading of them. Never the API key (it travels only in a header).
public struct GatewayResponseRecord: Codable, Sendable, Equatable {
    public static let currentFormat = "remedy-gateway-response/v1"
    /// A response body larger than this is refused (Tripay's detail answers are about 2 KB).
    static let maxBodyBytes = 256 * 1024
    /// Above any answer file remedy writes: the body with every byte escaped (`\u0001`, six
    /// bytes), and the URL, whose base comes from a job spec of at most a MiB.
    static let maxStoredBytes = maxBodyBytes * 6 + 2 * 1024 * 1024

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
    /// 1 to 64 of `A-Z a-z 0-9 _ -`, byte by byte: a regular expression's `$` also matched before a
    /// final line break ("T1\n" passed), and compiling one per call cost a seventh of `remedy
    /// evidence`'s CPU (it is asked for every reference, and again for every file a read checks).
    public static func isSafeReference(_ reference: String) -> Bool {
        let bytes = reference.utf8
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "-"): true
            default: false
            }
        }
    }

    static func fileName(_ reference: String) -> String { "\(reference).json" }

    /// A stored answer file's bytes, read as every reader of answers reads them (a bundle's
    /// `evidence/`, and what `remedy evidence` kept or staged): a regular file of at most
    /// `maxStoredBytes`, else refused (BundleFile); nil when there is none.
    static func storedBytes(atPath path: String) throws(RemedyError) -> Data? {
        try BundleFile.contents(atPath: path, maxBytes: maxStoredBytes, what: "the gateway's answer")
    }

    /// The canonical bytes (their SHA-256 is what plan.json lists).
    func encoded() -> Data {
        CanonicalJSONWriter.encode(self)
    }

    /// A stored record: in canonical form (CanonicalJSONReader takes nothing else), of this format,
    /// about `reference`; nil when it is not.
    static func decodeStored(_ data: Data, reference: String) -> GatewayResponseRecord? {
        guard let record = data.withUnsafeBytes({ GatewayResponseRecord.read($0) }), record.format == currentFormat,
              record.reference == reference else { return nil }
        return record
    }
}
