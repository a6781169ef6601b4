import EphemeralPostgres
import Foundation
import Postgres
import RemedyCore
import Rupiah
import ShopSimulator

/// `remedy demo`: each pipeline step, as an operator would run it, against a throwaway cluster.
struct DemoScript {
    let users: Int
    let seed: UInt64
    let maxLines: Int
    /// Where to copy the demo's exports before the throwaway directory goes (nil: nowhere).
    var keepExports: String? = nil
    let jobsDirectory: String?

    func run() throws {
        EphemeralClusterRegistry.installInterruptHandlers()
        let started = Date()
        section("1. A throwaway PostgreSQL and a simulated shop")
        Terminal.progress("starting a throwaway PostgreSQL")
        let cluster = try EphemeralCluster.start(logger: Terminal.logger)
        defer { cluster.stop() }
        let url = cluster.connectionURL(database: try cluster.createDatabase(named: "shop"))
        let connection = try PostgresConnection.connect(url: url, logger: Terminal.logger)
        defer { connection.close() }

        let options = SimulationOptions(seed: seed, userCount: users)
        let simulation = try ShopSimulator.load(options, into: connection, progress: { Terminal.logger.notice("\($0)", metadata: ["step": "simulate"]) })
        Terminal.print("loaded \(simulation.userCount) users and \(simulation.transactionCount) transactions (seed \(seed)) in \(simulation.elapsedMilliseconds) ms")
        let spec = try JobLocator.load(job: "tripay-double-credit", explicit: jobsDirectory)
        printReconciliation(try Reconciliation.measure(spec, on: connection), when: "before")

        section("2. Keys and remedy init")
        let work = cluster.directoryPath + "/demo"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let people = [(name: "andi", role: "engineering"), (name: "sari", role: "finance"), (name: "budi", role: "engineering")]
        let ring = try KeyRing.create(people, in: work)
        let keys = ring.keys
        for (name, role) in people { Terminal.print("$ remedy keygen --name \(name) --role \(role) --out \(name).key") }
        let initialized = try RemedyStore(connection: connection).initialize(approvers: try ApproverFile.load(path: ring.approversFile))
        Terminal.print("$ remedy init --approvers approvers.yaml   → schema version \(initialized.toVersion), 3 trusted approvers")

        section("3. Plan: the dry run (andi, engineering)")
        let since = Timestamp(date: options.bugWindowStart)
        let until = Timestamp(date: options.bugWindowEnd)
        Terminal.print("$ remedy plan tripay-double-credit --param since=\(since) --param until=\(until) --key andi.key")
        let parameters = try JobParameters.resolve(["since=\(since)", "until=\(until)"], for: spec)
        let bundle = try Planner(spec: spec, parameters: parameters, plannerKey: keys["andi"]!, connection: connection, logger: Terminal.logger)
            .plan(outDirectory: "\(work)/plan", defaultParent: work)
        PlanSummary(bundle: bundle, maxLines: maxLines).lines.forEach { Terminal.print($0) }

        section("4. Sign-off: one finance and one engineering person, neither the planner")
        for name in ["sari", "budi"] {
            let (record, _) = try PlanSignOff(bundle: bundle, connection: connection).approve(with: keys[name]!)
            Terminal.print("$ remedy approve plan --key \(name).key   → signed by \(record.name) (\(record.role))")
        }

        section("5. Apply, exactly once")
        let report = try Applier(spec: spec, bundle: bundle, connection: connection, logger: Terminal.logger).apply(operatorKey: keys["andi"]!)
        Terminal.print("$ remedy apply plan --key andi.key")
        Terminal.print("applied \(report.counts.applied) corrections, taken back \(report.takenBack.rupiah); skipped \(report.counts.skipped)")
        let again = try Applier(spec: spec, bundle: bundle, connection: connection).apply(operatorKey: keys["andi"]!)
        Terminal.print("$ remedy apply plan --key andi.key   (again) → applied \(again.counts.applied), already applied \(again.counts.alreadyApplied): nothing twice")

        section("6. Verify and audit")
        let verified = try Verifier(spec: spec, streamed: try PlanBundle.readStreaming(bundle.path), connection: connection).verify(actor: "andi")
        Terminal.print("$ remedy verify plan   → \(verified.usersChecked) users checked, \(verified.residuals.count) residuals")
        let audit = try AuditLog(connection: connection).verify(recordedHead: report.auditHead)
        Terminal.print("$ remedy audit verify --head \(report.auditHead.prefix(16))…   → \(audit.firstBroken == nil && audit.unaccounted.isEmpty && audit.reachesRecordedHead == true ? "intact" : "BROKEN"), \(audit.rows) rows")
        printReconciliation(try Reconciliation.measure(spec, on: connection), when: "after")
        Terminal.print("(the users still out of sync are the holds: causes other than this bug, for a person)")

        section("7. Export for finance: what was done, cross-checked with the database")
        let document = try ExportBuilder(bundle: bundle, connection: connection).build()
        let exports: [(String, Data)] = [
            ("report.html", HTMLReport.render(document)),
            ("lines.csv", ExportCSV.render(document, dialect: .standard)),
            ("lines-excel.csv", ExportCSV.render(document, dialect: .excel)),
            ("export.json", try ExportJSON.render(document)),
            ("notices.csv", try CustomerNotices(document).csv(dialect: .standard)),
        ]
        for (name, data) in exports {
            try data.write(to: URL(fileURLWithPath: "\(work)/\(name)"))
        }
        Terminal.print("$ remedy export plan --format html --out report.html   (also csv, csv --excel, json, csv --notices)")
        Terminal.print(document.crossCheck.statement)
        for row in document.totals.rows(kind: document.plan.kind) {
            Terminal.print("  \(row.label.padding(toLength: 52, withPad: " ", startingAt: 0)) \(row.value)")
        }
        Terminal.print("cross-check: \(document.crossCheck.agrees == true ? "bundle and database agree" : "\(document.crossCheck.discrepancies.count) discrepancies")")
        if let keepExports {
            try FileManager.default.createDirectory(atPath: keepExports, withIntermediateDirectories: true)
            for (name, data) in exports { try data.write(to: URL(fileURLWithPath: "\(keepExports)/\(name)")) }
            Terminal.print("exports kept in \(keepExports)")
        }

        section("Done in \(Int(Date().timeIntervalSince(started))) s; the throwaway cluster is being removed")
        guard verified.isClean, audit.firstBroken == nil, audit.unaccounted.isEmpty, report.isComplete, document.crossCheck.agrees == true else {
            throw RemedyError(.invariant, "the demo's pipeline did not end clean; see above")
        }
    }

    private func section(_ title: String) {
        Terminal.print("")
        Terminal.print("== \(title)")
    }

    private func printReconciliation(_ reconciliation: Reconciliation, when: String) {
        Terminal.print("reconciliation \(when): \(reconciliation.usersInSync) users in sync, \(reconciliation.usersOutOfSync) out of sync; balances above the ledger by \(reconciliation.totalAbove.rupiah), below by \(reconciliation.totalBelow.negatedRupiah)")
    }
}

extension Money {
    var negatedRupiah: String { unsignedRupiah }
}
