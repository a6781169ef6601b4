import Postgres
import Rupiah

/// Looks at the data through the mapping: columns NULL where they are needed, transaction types
/// and statuses the ledger map leaves out, the window, where amount_received comes from. All of
/// it from one grouped pass over the transactions (CheckSQL.transactions).
extension SchemaCheck {
    /// One row of that pass: the transactions of one type and status (and window day).
    struct TransactionGroup {
        let type: String?
        let status: String?
        let windowDay: String?
        let rows: Int
        let sum: Money
        let completedAtNull: Int
        let createdAtNull: Int
        let withReference: Int
        let paidAtNull: Int
        let receivedNull: Int
        let receivedFromCallback: Int
        let receivedFromColumnOnly: Int
        let receivedDisagreeing: Int
        let userOrAmountNull: Int
        /// For each column `timeComparison` names: its offset from the callback's paid_at, in
        /// buckets (nil where not compared).
        let timeOffsets: [Int?]
    }

    func transactionGroups(_ template: SQLTemplate, on connection: PostgresConnection) throws -> [TransactionGroup] {
        let rendered = try render(template, CheckSQL.transactions)
        let offsetColumns = timeComparison?.columns.count ?? 0
        let previous = try connection.query(CheckSQL.transactionsPlannerSettings)[0]
        let (tupleCost, sort) = (try previous.decode(0, as: String.self), try previous.decode(1, as: String.self))
        let groups = try connection.query(rendered.sql, rendered.parameters).map { row in
            TransactionGroup(
                type: try row.decode(0, as: String?.self), status: try row.decode(1, as: String?.self),
                windowDay: try row.decode(2, as: String?.self), rows: try row.decode(3),
                sum: try Money(exactText: try row.decode(4, as: String.self)),
                completedAtNull: try row.decode(5), createdAtNull: try row.decode(6), withReference: try row.decode(7),
                paidAtNull: try row.decode(8), receivedNull: try row.decode(9), receivedFromCallback: try row.decode(10),
                receivedFromColumnOnly: try row.decode(11), receivedDisagreeing: try row.decode(12), userOrAmountNull: try row.decode(13),
                timeOffsets: try (0..<offsetColumns).map { try row.decode(14 + $0, as: Int?.self) })
        }
        // Put back for what runs next in the transaction (detect, in a plan); on an error the
        // transaction ends with it.
        _ = try connection.query(CheckSQL.restorePlannerSettings, [tupleCost, sort])
        return groups
    }

    func checkColumnUse(_ groups: [TransactionGroup], into findings: inout [CheckFinding]) {
        let ledger = spec.ledger
        func total(_ value: KeyPath<TransactionGroup, Int>, where include: (TransactionGroup) -> Bool) -> Int {
            groups.filter(include).reduce(0) { $0 + $1[keyPath: value] }
        }
        let isCompletedPurchase = { (g: TransactionGroup) in g.type == ledger.purchaseType && g.status == ledger.completedStatus }
        let isPurchase = { (g: TransactionGroup) in g.type == ledger.purchaseType }
        // A paid Tripay top-up: a completed top-up with a reference (the reference counts below).
        let isCompletedTopup = { (g: TransactionGroup) in g.type == ledger.topupType && g.status == ledger.completedStatus }
        let completedPurchases = total(\.rows, where: isCompletedPurchase)
        let withoutCompletedAt = total(\.completedAtNull, where: isCompletedPurchase)
        let purchases = total(\.rows, where: isPurchase)
        let withoutCreatedAt = total(\.createdAtNull, where: isPurchase)
        let paidTopups = total(\.withReference, where: isCompletedTopup)
        let withoutPaidAt = total(\.paidAtNull, where: isCompletedTopup)
        // amount_received's source is read for the paid top-ups of received_scope (CheckSQL): the
        // window's, give or take a day, or every one for a job without a window. Its three
        // counts cover those rows once each.
        let withoutReceived = total(\.receivedNull, where: isCompletedTopup)
        let fromCallback = total(\.receivedFromCallback, where: isCompletedTopup)
        let fromColumnOnly = total(\.receivedFromColumnOnly, where: isCompletedTopup)
        let disagreeing = total(\.receivedDisagreeing, where: isCompletedTopup)
        let receivedRead = withoutReceived + fromCallback + fromColumnOnly
        let whichTopups = hasWindow ? "paid top-ups in the window and a day either side" : "paid top-ups"
        let incomplete = groups.reduce(0) { $0 + ($1.type == nil || $1.status == nil ? $1.rows : $1.userOrAmountNull) }
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
        let receivedFacts = ["rows": String(receivedRead), "scope": hasWindow ? "window_with_a_day_each_side" : "all",
                             "null": String(withoutReceived), "from_callback": String(fromCallback),
                             "from_column_only": String(fromColumnOnly), "callback_and_column_disagree": String(disagreeing)]
        if withoutReceived > 0 {
            findings.append(CheckFinding("nulls", .warning,
                "amount_received is missing for \(withoutReceived) of \(receivedRead) \(whichTopups): a handler credit on them cannot be recognised", facts: receivedFacts))
        }
        let source = spec.schema.amountReceived
        var sources: [String] = []
        if let field = source.callbackField { sources.append("the callback's \(field) for \(fromCallback)") }
        if let column = source.column { sources.append("column \(column) for \(source.callbackField == nil ? receivedRead - withoutReceived : fromColumnOnly)") }
        var received = "amount_received of \(receivedRead) \(whichTopups) comes from " + sources.joined(separator: ", ")
        if source.callbackField != nil, source.column != nil {
            received += "; the callback and the column disagree on \(disagreeing) (the callback is what Tripay sent, and is preferred)"
        }
        findings.append(CheckFinding("amount_received", .info, received, facts: receivedFacts))
        if incomplete > 0 {
            findings.append(CheckFinding("nulls", .warning,
                "\(incomplete) transactions have no user, type, status or amount (or an amount that is not a number): they count in no ledger, and a user whose ledger holds one is held", facts: ["rows": String(incomplete)]))
        }
    }

    /// Types and statuses present but not in the ledger map: money the ledger does not count.
    func checkLedgerMap(_ groups: [TransactionGroup], into findings: inout [CheckFinding]) throws {
        struct Group { var rows = 0; var sum = Money.zero }
        var completedByType: [String: Group] = [:]
        var byType: [String: Group] = [:]
        var byStatus: [String: Group] = [:]
        let ledger = spec.ledger
        for group in groups {
            guard let type = group.type, let status = group.status else { continue }
            func add(_ groups: inout [String: Group], _ key: String) throws {
                groups[key, default: Group()].rows += group.rows
                groups[key, default: Group()].sum = try groups[key, default: Group()].sum.adding(group.sum)
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
    func checkWindow(_ groups: [TransactionGroup], into findings: inout [CheckFinding]) {
        guard hasWindow, let choice = parameters.values["paid_at"] else { return }
        var byDay: [String: Int] = [:]
        for group in groups { if let day = group.windowDay { byDay[day, default: 0] += group.rows } }
        let before = byDay.removeValue(forKey: "before") ?? 0
        let after = byDay.removeValue(forKey: "after") ?? 0
        let days = byDay.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
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
