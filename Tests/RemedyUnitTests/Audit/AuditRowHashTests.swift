import Crypto
import Foundation
import Testing
@testable import RemedyCore

/// The audit chain's row hash must stay exactly what it was: chains written before must verify.
@Suite struct AuditRowHashTests {
    /// The hash as it was first written: each field length-prefixed, hashed field by field.
    static func reference(seq: Int64, recordedAt: String, action: String, actor: String, planDigest: String?, userId: String?,
                          content: String, previous: String) -> String {
        var hasher = SHA256()
        for field in ["remedy-audit/v1", previous, String(seq), recordedAt, action, actor, planDigest ?? "\u{0}", userId ?? "\u{0}", content] {
            let bytes = Data(field.utf8)
            hasher.update(data: Data("\(bytes.count):".utf8))
            hasher.update(data: bytes)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    @Test func theRowHashIsUnchanged() {
        let contents = ["", "{}", #"{"a":"é 漢字 🙂","b":"\u0001"}"#, String(repeating: "x", count: 70_000)]
        for (index, content) in contents.enumerated() {
            for (digest, user) in [(nil, nil), ("d" + String(index), "u:\(index)")] as [(String?, String?)] {
                let seq = Int64(index) * 1_000_003
                let expected = Self.reference(seq: seq, recordedAt: "2026-11-21T08:00:00.000000Z", action: "correction.applied", actor: "andi",
                                              planDigest: digest, userId: user, content: content, previous: AuditLog.genesisHash)
                #expect(AuditLog.rowHash(seq: seq, recordedAt: "2026-11-21T08:00:00.000000Z", action: "correction.applied", actor: "andi",
                                         planDigest: digest, userId: user, content: content, previous: AuditLog.genesisHash) == expected)
            }
        }
    }
}
