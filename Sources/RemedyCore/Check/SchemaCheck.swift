import Postgres

/// Check: whether a job, as its spec maps the shop, can run on this database, and what a person
/// should confirm before planning on it. Read-only, needs no key and no remedy schema; `remedy plan`
/// runs the same probes inside its snapshot, records the warnings and refuses on an error.
public struct SchemaCheck {
    public let spec: JobSpec
    public let parameters: JobParameters

    public init(spec: JobSpec, parameters: JobParameters) {
        self.spec = spec
        self.parameters = parameters
    }

    /// The whole check in one `REPEATABLE READ READ ONLY` transaction: on `connection`, or on the
    /// read replica when one is given (`remedy check --read-url`), whose replay position the report
    /// then records.
    public func run(on connection: PostgresConnection, replica: ReadReplica? = nil) throws -> CheckReport {
        let reader = replica?.connection ?? connection
        do {
            return try reader.transaction(TransactionOptions(isolation: .repeatableRead, readOnly: true)) {
                // As plan runs the probes (Detector.run), its grouping in memory.
                try ReadSnapshot.configure(spec, on: reader, scanWorkMemoryKilobytes: Detector.workMemoryKilobytes)
                var report = try probe(on: reader)
                if let replica {
                    report.readReplica = try replica.position()
                    if replica.confirmedBy == nil {
                        report.findings.append(CheckFinding("access", .warning, "could not confirm that the read replica \(replica.server) is a standby of --database-url's cluster: these roles may not run pg_control_system() (superuser or pg_monitor) and remedy is not initialized there; `remedy plan` confirms it by remedy's installation id"))
                    }
                }
                return report
            }
        } catch {
            let explained = ReadSnapshot.explainingTimeout(error, spec: spec, step: "check's pass over the transactions")
            throw replica.map { ReadReplica.explainingRecoveryConflict(explained, server: $0.server) } ?? explained
        }
    }

    /// The probes, in the caller's transaction (plan runs them inside its detect snapshot).
    public func probe(on connection: PostgresConnection) throws -> CheckReport {
        // The merchant's key first: without it the job's spec cannot be honoured, so nothing is read.
        let merchantKey = try spec.schema.transactions.callbackSignature.map { try MerchantKey.load($0) }
        let who = try connection.query("SELECT current_database()::text, current_user::text")[0]
        var report = CheckReport(job: spec.name, database: try who.decode(0), role: try who.decode(1), findings: [])
        let access = try checkAccess(role: report.role, on: connection, into: &report.findings)
        // The looks at the data need every mapped column readable, and times read as plan reads
        // them; what is missing is reported above.
        guard access.readable else { return report }
        let times = ZonelessTimes(columns: access.zonelessTimes, zone: spec.schema.transactions.localTimeZone)
        var template = try SQLTemplate.bindings(for: spec, parameters: parameters, zonelessTimes: times)
        template = template.adding(checkFragments(template)).with(try nearWindowValues())
        let timeSampleEvery = try timeSampleEvery(on: connection)
        template = template.adding(timeFragments(template, zonelessTimes: times, sampleEvery: timeSampleEvery)).with(timeValues)
        let groups = try transactionGroups(template, on: connection)
        checkColumnUse(groups, into: &report.findings)
        try checkLedgerMap(groups, into: &report.findings)
        checkWindow(groups, into: &report.findings)
        checkTimesAgainstCallback(groups, zonelessTimes: times, sampleEvery: timeSampleEvery, into: &report.findings)
        if let mapping = spec.schema.transactions.callbackSignature, let merchantKey {
            report.callbackSignatures = try checkCallbackSignatures(mapping, key: merchantKey, template, on: connection, into: &report.findings)
        }
        let catalog = try ShopCatalog.inspect(spec, on: connection)
        checkTriggers(catalog, into: &report.findings)
        try checkBalance(access.balance, template, catalog: catalog, on: connection, into: &report.findings)
        try checkIndexes(on: connection, into: &report.findings)
        return report
    }

    /// The raw callback's field and the column, apart, to see how often they disagree.
    private func checkFragments(_ template: SQLTemplate) -> [String: String] {
        let paidAt = template.fragments["expr.paid_at"]
        let source = spec.schema.amountReceived
        let callback = source.callbackField == nil ? nil : spec.schema.transactions.callback
        var fragments = ["check.received": CheckSQL.received(callback: callback, column: source.column)]
        // A job without a paid_at parameter has no window to look at.
        if paidAt == nil { fragments["expr.paid_at"] = CheckSQL.noPaidAt }
        if hasWindow, let paidAt {
            fragments["check.window_day"] = CheckSQL.windowDay
            // Only the top-ups a plan can correct: reading the callback's field of every top-up
            // ever paid cost 2.8 s of an 11 s pass at 1,000,000 users, for figures no line rests on.
            fragments["check.received_scope"] = CheckSQL.nearWindow(type: template.fragments["expr.type"]!, paidAt: paidAt)
        } else {
            fragments["check.window_day"] = CheckSQL.noWindowDay
            fragments["check.received_scope"] = CheckSQL.everyReceived
        }
        return fragments
    }

    /// The bounds of CheckSQL.nearWindow: a day (86,400 s, a day of the snapshot's UTC) before
    /// since and after until; never before the first instant remedy names (Timestamp.earliest).
    func nearWindowValues() throws -> [String: any PostgresEncodable] {
        guard hasWindow else { return [:] }
        let day: Int64 = 86_400
        let since = try parameters.timestamp("since").adding(seconds: -day)
        return ["check_near_since": max(since, Timestamp.earliest).description,
                "check_near_until": try parameters.timestamp("until").adding(seconds: day).description]
    }

    /// A job with since, until and a paid_at source looks at a bug window.
    var hasWindow: Bool {
        parameters.values["paid_at"] != nil && parameters.values["since"] != nil && parameters.values["until"] != nil
    }

    func render(_ template: SQLTemplate, _ sql: String) throws -> SQLTemplate.Rendered {
        try template.render(sql, file: "CheckSQL")
    }
}
