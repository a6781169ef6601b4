import Foundation

/// `--redact`: for exports that leave finance. Customer names and contacts are removed; each user
/// id becomes `anon-` and 16 hex digits of an HMAC keyed with the installation's secret
/// (`RedactionKey`), never with anything the export shows. The same user maps the same way in
/// every export of the installation (finance can match two exports); without the secret nobody
/// can map a user id to its pseudonym, not even knowing every id and the plan. Idempotency keys
/// are hashes of the user id (and of what the export shows): they are replaced the same way, or
/// trying each id would undo the pseudonyms. The prefix keeps a spreadsheet from reading an
/// all-digit pseudonym as a number. Staff names (planner, approvers, operators) stay: they are
/// the sign-off.
public enum ExportRedaction {
    public static func pseudonym(userId: String, key: RedactionKey) -> String {
        "anon-" + key.code("user", userId, hexDigits: 16)
    }

    public static func pseudonym(idempotencyKey: String, key: RedactionKey) -> String {
        "key-" + key.code("idempotency-key", idempotencyKey, hexDigits: 16)
    }

    static func redact(_ document: inout ExportDocument, key: RedactionKey) {
        for index in document.lines.indices { redact(&document.lines[index], key: key) }
        for index in document.crossCheck.discrepancies.indices {
            if let userId = document.crossCheck.discrepancies[index].userId {
                document.crossCheck.discrepancies[index].userId = pseudonym(userId: userId, key: key)
            }
        }
        document.redacted = true
    }

    static func redact(_ line: inout ExportLine, key: RedactionKey) {
        line.userId = pseudonym(userId: line.userId, key: key)
        line.label = ""
        line.contact = nil
        line.idempotencyKey = line.idempotencyKey.map { pseudonym(idempotencyKey: $0, key: key) }
    }
}
