import Foundation
import Postgres

/// What `remedy audit verify --head` is given: a bare hash someone wrote down, or a file holding
/// a signed head (the head alone, or a document that carries one as `signed_audit_head`: a run
/// report from a bundle's runs/, a JSON export, a notification's body).
public enum RecordedHead: Sendable {
    case bare(String)
    case signed(SignedAuditHead, source: String)

    public static func parse(_ argument: String) throws -> RecordedHead {
        if argument.utf8.count == 64, argument.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }) {
            return .bare(argument)
        }
        guard let data = FileManager.default.contents(atPath: argument) else {
            throw RemedyError(.io, "--head \(argument) is neither a 64-character hex hash nor a readable file; pass a hash, a run report (bundle/runs/RUN.json), a JSON export or a signed head file")
        }
        let unreadable = RemedyError(.badInput, "\(argument) holds no signed audit head (a remedy-audit-head/v1 object, or a document with signed_audit_head): pass a run report, a JSON export, a notification body or a head file")
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw unreadable }
        let headObject = object["format"] as? String == SignedAuditHead.currentFormat ? object : object["signed_audit_head"] as? [String: Any]
        guard let headObject, let headData = try? JSONSerialization.data(withJSONObject: headObject),
              let head = try? CanonicalJSON.decode(SignedAuditHead.self, from: headData), head.format == SignedAuditHead.currentFormat else {
            throw unreadable
        }
        return .signed(head, source: argument)
    }

    public var hash: String {
        switch self {
        case .bare(let hash): hash
        case .signed(let head, _): head.hash
        }
    }

    /// For a signed head: the signer is trusted here under that name and role, the signature is
    /// theirs over exactly this head, and it names this database. Returns the signer.
    public func checkSignature(on connection: PostgresConnection) throws -> Approver? {
        guard case .signed(let head, let source) = self else { return nil }
        let store = RemedyStore(connection: connection)
        guard let trusted = try store.currentApproverSet()?.trusted(head.publicKey) else {
            throw RemedyError(.untrustedKey, "the audit head in \(source) is signed by \(head.name) (\(head.publicKey)), not a trusted approver in this database: do not rely on it; ask for the head the operator's run report or notification gave")
        }
        guard trusted.name == head.name, trusted.role == head.role, head.signatureIsValid else {
            throw RemedyError(.tampered, "the audit head in \(source) does not verify: its signature is not \(trusted.name)'s over this head, row and database (forged or altered); use the head exactly as the run report or notification delivered it")
        }
        let identity = try store.identity()
        guard head.database == identity else {
            throw RemedyError(.wrongDatabase, "the audit head in \(source) was signed on \(head.database), but this is \(identity); verify it against its own database")
        }
        return trusted
    }
}
