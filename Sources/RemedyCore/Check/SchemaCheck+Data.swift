import Postgres
import Rupiah

/// Looks at the data through the mapping: columns NULL where they are needed, transaction types
/// and statuses the ledger map leaves out, the window, where amount_received comes from.
extension SchemaCheck {
    func checkColumnUse(_ template: SQLTemplate, on connection: PostgresConnection, into findings: inout [CheckFinding]) throws {
        let rendered = try render(template, CheckSQL.columnUse)
        let row = try connection.query(rendered.sql, rendered.parameters)[0]
        let counts = try (0..<11).map { try row.decode($0, as: Int.self) }
        let (completedPurchases, withoutCompletedAt, purchases, withoutCreatedAt) = (counts[0], counts[1], counts[2], counts[3])
        let (paidTopups, withoutPaidAt, withoutReceived) = (counts[4], counts[5], counts[6])
        let (fromCallback, fromColumnOnly, disagreeing, incomplete) = (counts[7], counts[8], counts[9], counts[10])
        let tx = spec.schema.transactions

        if spec.signatures.lostUpdateEnabled {
            let facts = ["column": tx.completedAt.description, "rows": String(completedPurchases), "null": String(withoutCompletedAt)]
            if withoutCompletedAt > 0 {
                var message = "\(tx.completedAt) is NULL for \(withoutCompletedAt) of \(completedPurchases) completed purchases: lost-update evidence unavailable for them"
                if tx.completedAt.single != nil, !tx.completedAt.columns.contains(where: tx.createdAt.columns.contains) {
                    let fallback = ShopSchemaMap.TimeColumn(tx.completedAt.columns + tx.createdAt.columns)
                    message += "; map \(fallback) (schema.transactions.completed_at)"
                }
                findings.append(CheckFinding("nulls", .warning, message, facts: facts))
            } else {
                findings.append(CheckFinding("nulls", .ok, "\(tx.completedAt) is set on all \(completedPurchases) completed purchases", facts: facts))
            }
        }
        if spec.strategy == .balanceDrift {
            let facts = ["column": tx.createdAt.description, "rows": String(purchases), "null": String(withoutCreatedAt)]
            findings.append(withoutCreatedAt > 0
                ? CheckFinding("nulls", .warning, "\(tx.createdAt) is NULL for \(withoutCreatedAt) of \(purchases) purchases: their order cannot be shown to the person deciding", facts: facts)
                : CheckFinding("nulls", .ok, "\(tx.createdAt) is set on all \(purchases) purchases", facts: facts))
        }
        if let choice = parameters.values["paid_at"] {
            let facts = ["paid_at": choice, "rows": String(paidTopups), "null": String(withoutPaidAt)]
            findings.append(withoutPaidAt > 0
                ? CheckFinding("nulls", .warning, "paid_at (\(choice)) is NULL for \(withoutPaidAt) of \(paidTopups) paid top-ups: they can never be in the window; choose another --param paid_at or map the source", facts: facts)
                : CheckFinding("nulls", .ok, "paid_at (\(choice)) is set on all \(paidTopups) paid top-ups", facts: facts))
        }
        let receivedFacts = ["rows": String(paidTopups), "null": String(withoutReceived), "from_callback": String(fromCallback),
                             "from_column_only": String(fromColumnOnly), "callback_and_column_disagree": String(disagreeing)]
        if withoutReceived > 0 {
            findings.append(CheckFinding("nulls", .warning,
                "amount_received is missing for \(withoutReceived) of \(paidTopups) paid top-ups: a handler credit on them cannot be recognised", facts: receivedFacts))
        }
        let source = spec.schema.amountReceived
        var sources: [String] = []
        if let field = source.callbackField { sources.append("the callback's \(field) for \(fromCallback)") }
        if let column = source.column { sources.append("column \(column) for \(source.callbackField == nil ? paidTopups - withoutReceived : fromColumnOnly)") }
        var received = "amount_received of \(paidTopups) paid top-ups comes from " + sources.joined(separator: ", ")
        if source.callbackField != nil, source.column != nil {
            received += "; the callback and the column disagree on \(disagreeing) (the callback is what Tripay sent, and is preferred)"
        }
        findings.append(CheckFinding("amount_received", .info, received, facts: receivedFacts))
        if incomplete > 0 {
            findings.append(CheckFinding("nulls", .warning,
                "\(incomplete) transactions have no user, type, status or amount: they count in no ledger", facts: ["rows": String(incomplete)]))
        }
    }

    /// Types and statuses present but not in the ledger map: money the ledger does not count.
    func checkLedgerMap(_ template: SQLTemplate, on connection: PostgresConnection, into findings: inout [CheckFinding]) throws {
        let rendered = try render(template, CheckSQL.typesAndStatuses)
        struct Group { var rows = 0; var sum = Money.zero }
        var completedByType: [String: Group] = [:]
        var byType: [String: Group] = [:]
        var byStatus: [String: Group] = [:]
        let ledger = spec.ledger
        for row in try connection.query(rendered.sql, rendered.parameters) {
            guard let type = try row.decode(0, as: String?.self), let status = try row.decode(1, as: String?.self) else { continue }
            let rows: Int = try row.decode(2)
            let sum = try Money(exactText: try row.decode(3, as: String.self))
            func add(_ groups: inout [String: Group], _ key: String) throws {
                groups[key, default: Group()].rows += rows
                groups[key, default: Group()].sum = try groups[key, default: Group()].sum.adding(sum)
            }
            try add(&byType, type)
            try add(&byStatus, status)
            if status == ledger.completedStatus { try add(&completedByType, type) }
        }
        for type in byType.keys.sorted() {
            let completed = completedByType[type] ?? Group()
            let facts = ["type": type, "rows": String(byType[type]!.rows), "completed_rows": String(completed.rows), "completed_sum": completed.sum.exactText]
            switch ledger.signs[type] {
            case nil where completed.rows > 0:
                findings.append(CheckFinding("ledger", .warning,
                    "\(type): \(completed.rows) completed rows, \(completed.sum.rupiah), count 0 in the ledger — confirm (list it under ledger.types: 0 if it never moves balances, 1 or -1 if it does)",
                    facts: facts))
            case nil:
                findings.append(CheckFinding("ledger", .info, "\(type): \(byType[type]!.rows) rows, none \(ledger.completedStatus); not in the ledger map", facts: facts))
            case let sign?:
                findings.append(CheckFinding("ledger", .ok,
                    "\(type): \(completed.rows) completed rows, \(completed.sum.rupiah), count \(sign == 0 ? "0" : sign > 0 ? "+1" : "-1") in the ledger", facts: facts))
            }
        }
        for type in [ledger.topupType, ledger.purchaseType] where byType[type] == nil {
            findings.append(CheckFinding("ledger", .warning,
                "no transaction has type \(type) (ledger.\(type == ledger.topupType ? "topup_type" : "purchase_type")): check the type words in job.yaml", facts: ["type": type]))
        }
        if byStatus[ledger.completedStatus] == nil {
            findings.append(CheckFinding("ledger", .warning,
                "no transaction has status \(ledger.completedStatus) (ledger.completed_status): the ledger would be empty; check the status words in job.yaml",
                facts: ["status": ledger.completedStatus]))
        }
        for status in byStatus.keys.sorted() where status != ledger.completedStatus {
            let group = byStatus[status]!
            findings.append(CheckFinding("ledger", .info, "status \(status): \(group.rows) rows, \(group.sum.rupiah), count 0 in the ledger",
                                         facts: ["status": status, "rows": String(group.rows), "sum": group.sum.exactText]))
        }
    }

    /// The window: paid top-ups in it by day, and within a day outside it.
    func checkWindow(_ template: SQLTemplate, on connection: PostgresConnection, into findings: inout [CheckFinding]) throws {
        guard let choice = parameters.values["paid_at"], parameters.values["since"] != nil, parameters.values["until"] != nil else { return }
        let rendered = try render(template, CheckSQL.window)
        var days: [(String, Int)] = []
        var before = 0
        var after = 0
        for row in try connection.query(rendered.sql, rendered.parameters) {
            let day: String = try row.decode(0)
            let count: Int = try row.decode(1)
            switch day {
            case "before": before = count
            case "after": after = count
            default: days.append((day, count))
            }
        }
        let inWindow = days.reduce(0) { $0 + $1.1 }
        var facts = ["paid_at": choice, "since": parameters.values["since"]!, "until": parameters.values["until"]!,
                     "in_window": String(inWindow), "day_before": String(before), "day_after": String(after)]
        for (day, count) in days { facts["day." + day] = String(count) }
        if inWindow == 0 {
            findings.append(CheckFinding("window", .warning,
                "no paid top-up has paid_at (\(choice)) in the window [\(facts["since"]!), \(facts["until"]!)): check since, until and --param paid_at",
                facts: facts))
        } else {
            findings.append(CheckFinding("window", .info,
                "\(inWindow) paid top-ups in the window by paid_at (\(choice)); by day (UTC): " + days.map { "\($0.0) \($0.1)" }.joined(separator: ", "),
                facts: facts))
        }
        findings.append(CheckFinding("window", .info,
            "paid top-ups within a day outside the window: \(before) in the day before since, \(after) in the day after until; if the bug ran longer, widen the window",
            facts: ["day_before": String(before), "day_after": String(after)]))
    }
}
