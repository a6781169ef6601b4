import Foundation
import Testing

/// runbooks/finance-signoff.md says exactly which grants a finance person's role needs to approve:
/// a role given those (copied from the runbook) and nothing else approves; without them it cannot.
@Suite("The approver's grants in finance-signoff.md")
struct ApproverGrantsTests {
    static let runbook = RemedyProcess.repositoryRoot.appendingPathComponent("runbooks/finance-signoff.md").path

    /// The runbook's ```sql block that grants to finance_approver.
    static func grantStatements() throws -> String {
        let text = try String(contentsOfFile: runbook, encoding: .utf8)
        let blocks = text.components(separatedBy: "```sql\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
        guard let grants = blocks.first(where: { $0.contains("GRANT") && $0.contains("finance_approver") }) else {
            throw RemedyProcess.Failure(description: "finance-signoff.md shows no GRANT block for finance_approver")
        }
        return grants
    }

    @Test func theRunbooksGrantsAreEnoughToApprove() throws {
        let shop = try EndToEndShop(users: 60, seed: 64)
        let bundle = try shop.plan()
        // Roles are the cluster's, shared by every test database: a name of this test's own.
        let role = "finance_approver_\(UUID().uuidString.prefix(8).lowercased())"
        try shop.connection.executeScript("CREATE ROLE \(role) LOGIN")
        defer { try? shop.connection.executeScript("DROP OWNED BY \(role); DROP ROLE \(role)") }
        let asRole = shop.database.url.replacingOccurrences(of: "user=postgres", with: "user=\(role)")
        #expect(asRole != shop.database.url)

        let refused = try RemedyProcess.run(["approve", bundle, "--key", shop.key("sari"), "--database-url", asRole])
        #expect(refused.exitedNonZero, "a role without the grants cannot approve: \(refused)")

        try shop.connection.executeScript(try Self.grantStatements().replacingOccurrences(of: "finance_approver", with: role))
        let approved = try RemedyProcess.run(["approve", bundle, "--key", shop.key("sari"), "--database-url", asRole])
        #expect(approved.exitedZero, "\(approved)")
        #expect(try shop.count("remedy.approvals") == 1)
        try shop.remedy(["audit", "verify"]).requireSuccess()
    }
}
