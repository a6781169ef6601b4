import Postgres
import Rupiah

/// How the database moves balances: the balance trigger (and whether it re-fires), the other
/// triggers on the users table, CHECK constraints on the balance, and how large a balance the
/// column holds.
extension SchemaCheck {
    func checkTriggers(_ catalog: ShopCatalog, into findings: inout [CheckFinding]) {
        let name = spec.signatures.balanceTriggerName
        let txTable = spec.schema.transactions.table.unqualifiedName
        let usersTable = spec.schema.users.table.unqualifiedName
        func on(_ trigger: TriggerEvidence, _ table: String) -> Bool {
            trigger.table == table || trigger.table.hasSuffix("." + table) || trigger.table.hasSuffix(".\"\(table)\"") || trigger.table == "\"\(table)\""
        }
        let (refires, reason) = catalog.balanceTriggerRefires(spec)
        if let balance = catalog.triggers.first(where: { $0.name == name && on($0, txTable) }) {
            let facts = ["trigger": balance.name, "definition": balance.definition, "function_source": balance.functionSource,
                         "enabled": String(balance.enabled), "refires": String(refires), "reason": reason]
            if !balance.enabled {
                findings.append(CheckFinding("triggers", .warning,
                    "balance trigger \(name) is disabled: balances are not moved by the ledger as the job assumes; confirm before planning", facts: facts))
            }
            findings.append(CheckFinding("triggers", .info,
                "balance trigger: \(balance.definition); \(refires ? "re-fires on updates of a completed row" : "fires on the transition only") — \(reason)",
                facts: facts))
        } else {
            findings.append(CheckFinding("triggers", spec.signatures.triggerRefireMode == .auto ? .warning : .info,
                "balance trigger \(name) (signatures.trigger_refire.trigger) is not on \(spec.schema.transactions.table): \(reason)",
                facts: ["trigger": name, "refires": String(refires)]))
        }
        let balanceColumn = spec.schema.users.balance.unqualifiedName.lowercased()
        for trigger in catalog.triggers where on(trigger, usersTable) {
            let facts = ["trigger": trigger.name, "definition": trigger.definition, "function_source": trigger.functionSource,
                         "enabled": String(trigger.enabled)]
            let source = trigger.functionSource.lowercased().replacingOccurrences(of: " ", with: "")
            let firesOnUpdate = trigger.definition.uppercased().contains("UPDATE")
            if firesOnUpdate, source.contains("new.\(balanceColumn):=") || source.contains("new.\(balanceColumn)=")
                || source.contains("new.\"\(balanceColumn)\":=") || source.contains("new.\"\(balanceColumn)\"=") {
                findings.append(CheckFinding("triggers", .warning,
                    "trigger \(trigger.name) on \(spec.schema.users.table) sets NEW.\(balanceColumn) on update: the balance remedy writes may not be the one that lands; read its function before applying",
                    facts: facts))
            } else {
                findings.append(CheckFinding("triggers", .info,
                    "trigger on \(spec.schema.users.table): \(trigger.definition)\(firesOnUpdate ? " (fires on remedy's corrections too)" : "")",
                    facts: facts))
            }
        }
    }

    func checkBalance(_ column: ColumnFacts?, _ template: SQLTemplate, catalog: ShopCatalog, on connection: PostgresConnection,
                      into findings: inout [CheckFinding]) throws {
        for constraint in catalog.balanceCheckConstraints {
            findings.append(CheckFinding("balance", .info,
                "CHECK constraint on the balance: \(constraint)\(spec.negativeBalance == .allow ? " (negative_balance: allow is held where it forbids negatives)" : "")",
                facts: ["constraint": constraint]))
        }
        let rendered = try render(template, CheckSQL.balances)
        let row = try connection.query(rendered.sql, rendered.parameters)[0]
        let users: Int = try row.decode(0)
        let largest = try row.decode(1, as: String?.self).map { try Money(exactText: $0) }
        let notANumber: Int = try row.decode(3)
        if notANumber > 0 {
            findings.append(CheckFinding("balance", .warning,
                "\(notANumber) of \(users) users have a balance that is not a number (NaN or an infinity): plan holds each of them for a person",
                facts: ["users": String(users), "not_a_number": String(notANumber)]))
        }
        guard let column else { return }
        var facts = ["type": column.type, "users": String(users)]
        if let largest { facts["largest_balance"] = largest.exactText }
        guard let precision = column.numericPrecision, let scale = column.numericScale, scale <= 2, precision - scale <= 16 else {
            findings.append(CheckFinding("balance", .info,
                "balance column is \(column.type); the largest balance of \(users) users is \(largest?.rupiah ?? "none")", facts: facts))
            return
        }
        let wholeDigits = precision - scale
        let capacityText = (wholeDigits > 0 ? String(repeating: "9", count: wholeDigits) : "0") + (scale > 0 ? "." + String(repeating: "9", count: scale) : "")
        let capacity = try Money(exactText: capacityText)
        facts["largest_possible"] = capacity.exactText
        // Within a tenth of the limit, a correction that adds (a revert, a restored deduction) can overflow.
        let tight = largest.map { $0.minorUnits > capacity.minorUnits / 10 * 9 } ?? false
        findings.append(CheckFinding("balance", tight ? .warning : .info,
            "balance column is \(column.type): it holds balances up to \(capacity.rupiah); the largest of \(users) users is \(largest?.rupiah ?? "none")",
            facts: facts))
    }
}
