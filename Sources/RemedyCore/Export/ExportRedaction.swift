import Crypto
import Foundation

/// `--redact`: for exports that leave finance. Customer names and contacts are removed; each user
/// id becomes `anon-` and the first 12 hex digits of HMAC-SHA256(key: the plan digest, message:
/// the user id). The same user maps the same way within a plan (and differently in another), and
/// the mapping cannot be reversed without the user ids themselves: whoever holds the plan can
/// recompute it to find a user. The prefix keeps a spreadsheet from reading an all-digit
/// pseudonym as a number. Staff names (planner, approvers, operators) stay: they are the sign-off.
public enum ExportRedaction {
    public static func pseudonym(userId: String, planDigest: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(userId.utf8), using: SymmetricKey(data: Data(planDigest.utf8)))
        return "anon-" + Data(code).hexString.prefix(12)
    }

    static func redact(_ document: inout ExportDocument) {
        let digest = document.plan.digest
        for index in document.lines.indices {
            document.lines[index].userId = pseudonym(userId: document.lines[index].userId, planDigest: digest)
            document.lines[index].label = ""
            document.lines[index].contact = nil
        }
        for index in document.crossCheck.discrepancies.indices {
            if let userId = document.crossCheck.discrepancies[index].userId {
                document.crossCheck.discrepancies[index].userId = pseudonym(userId: userId, planDigest: digest)
            }
        }
        document.redacted = true
    }
}
