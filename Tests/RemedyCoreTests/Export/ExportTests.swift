import Foundation
import Postgres
import Rupiah
import TestSupport
import Testing
@testable import RemedyCore

@Suite("Export: CSV writer and HTML escaping")
struct ExportFormatTests {
    @Test func textCellsGetTheApostropheAndAmountsNever() throws {
        var writer = CSVWriter(dialect: .standard)
        writer.record([.text("=1+1"), .text("-x"), .text("+62"), .text("@a"), .text("\tt"), .text("\rr"), .text("'q"), .text("plain"),
                       .amount(Money(minorUnits: -918_000)), .amount(nil), .integer(-3)])
        #expect(writer.text == "'=1+1,'-x,'+62,'@a,'\tt,\"'\rr\",''q,plain,-9180.00,,-3\r\n")
    }

    @Test func quotingFollowsRFC4180() throws {
        var writer = CSVWriter(dialect: .standard)
        writer.record([.text("a\"b"), .text("a,b"), .text("a;b"), .text("a\nb"), .text("a\r\nb"), .text("🌸")])
        #expect(writer.text == "\"a\"\"b\",\"a,b\",\"a;b\",\"a\nb\",\"a\r\nb\",🌸\r\n")
        let parsed = try StrictCSVReader.parse(writer.data, separator: ",", expectBOM: false)
        #expect(parsed == [["a\"b", "a,b", "a;b", "a\nb", "a\r\nb", "🌸"]])
    }

    @Test func excelDialectHasABOMSemicolonsAndDecimalCommas() throws {
        var writer = CSVWriter(dialect: .excel)
        writer.record([.text("user"), .amount(Money(minorUnits: -918_050)), .amount(Money(rupiah: 1_900_000))])
        #expect(Array(writer.data.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(writer.text == "\u{FEFF}user;\"-9180,50\";\"1900000,00\"\r\n")
        let parsed = try StrictCSVReader.parse(writer.data, separator: ";", expectBOM: true)
        #expect(try parsed[0][1...].map { try moneyCell($0, excel: true) } == [Money(minorUnits: -918_050), Money(rupiah: 1_900_000)])
    }

    @Test(arguments: HostileNames.usernames + HostileNames.contacts)
    func everyHostileValueRoundTripsByTheDocumentedRule(value: String) throws {
        for dialect in [CSVDialect.standard, .excel] {
            var writer = CSVWriter(dialect: dialect)
            writer.record([.text(value), .text("x")])
            let parsed = try StrictCSVReader.parse(writer.data, separator: dialect.separator.unicodeScalars.first!, expectBOM: dialect.byteOrderMark)
            #expect(parsed.count == 1)
            #expect(StrictCSVReader.original(parsed[0][0]) == value)
            #expect(!HostileNames.formulaStarts.contains(parsed[0][0].unicodeScalars.first ?? "x"))
        }
    }

    @Test func htmlEscapingCoversTheFiveCharactersAndControls() {
        #expect(HTMLReport.escape("<img src=x onerror=alert(1)>") == "&lt;img src=x onerror=alert(1)&gt;")
        #expect(HTMLReport.escape("a & 'b' \"c\"") == "a &amp; &#39;b&#39; &quot;c&quot;")
        #expect(HTMLReport.escape("bell\u{7}") == "bell\\u{7}")
        #expect(HTMLReport.escape("tab\tok") == "tab\tok")
    }

    @Test func pseudonymsAreStablePerKeyAndDifferAcrossKeys() {
        let one = RedactionKey(secret: Array(repeating: 1, count: 32))
        let two = RedactionKey(secret: Array(repeating: 2, count: 32))
        let a = ExportRedaction.pseudonym(userId: "u1", key: one)
        #expect(a == ExportRedaction.pseudonym(userId: "u1", key: one))
        #expect(a != ExportRedaction.pseudonym(userId: "u1", key: two))
        #expect(a != ExportRedaction.pseudonym(userId: "u2", key: one))
        #expect(a.hasPrefix("anon-") && a.count == 21)
        #expect(ExportRedaction.pseudonym(idempotencyKey: "u1", key: one) != "key-" + a.dropFirst(5), "user ids and keys are pseudonymised apart")
    }
}

@Suite("Export: hostile names through the whole pipeline")
struct ExportHostileNameTests {
    @Test func csvCellsRoundTripAndNoTextCellStartsAFormula() throws {
        let (fixture, _) = try ExportFixture.make()
        let document = try fixture.document()
        for dialect in [CSVDialect.standard, .excel] {
            let excel = dialect == .excel
            let records = try StrictCSVReader.parse(ExportCSV.render(document, dialect: dialect),
                                                    separator: dialect.separator.unicodeScalars.first!, expectBOM: excel)
            #expect(records.first == ExportCSV.columns)
            let rows = Array(records.dropFirst())
            #expect(rows.count == document.lines.count)
            let column = Dictionary(uniqueKeysWithValues: ExportCSV.columns.enumerated().map { ($1, $0) })
            var seen = 0
            for row in rows {
                #expect(row.count == ExportCSV.columns.count)
                for (name, index) in column {
                    let cell = row[index]
                    if ExportCSV.amountColumns.contains(name) {
                        // Numbers: never prefixed, exact, parse as written.
                        #expect(!cell.hasPrefix("'"), "\(name) = \(cell)")
                        _ = try moneyCell(cell, excel: excel)
                    } else if name != "decompositions" {
                        #expect(!HostileNames.formulaStarts.contains(cell.unicodeScalars.first ?? "x"), "text column \(name) starts a formula: \(cell.debugDescription)")
                    }
                }
                let userId = row[column["user_id"]!]
                guard let expected = fixture.renamed[userId] else { continue }
                seen += 1
                #expect(StrictCSVReader.original(row[column["label"]!]) == expected.username)
                if row[column["section"]!] == "adjustment" {
                    #expect(StrictCSVReader.original(row[column["contact"]!]) == expected.email)
                }
            }
            #expect(seen == HostileNames.usernames.count, "every renamed user is in the CSV")
            // A negative amount stays a number: "-9180.00", not "'-9180.00".
            let deltas = rows.map { $0[column["delta"]!] }.filter { $0.hasPrefix("-") }
            #expect(!deltas.isEmpty)
        }
    }

    @Test func htmlShowsHostileNamesAsTextOnly() throws {
        let (fixture, _) = try ExportFixture.make(seed: 13)
        let html = HTMLReport.html(try fixture.document())
        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("<script>alert"))
        #expect(html.components(separatedBy: "<script").count == 2, "one script: the filter")
        // Nothing is fetched: no element has a src or href, and the policy allows only the filter.
        #expect(html.range(of: #"<[a-zA-Z][^>]*\s(src|href)\s*="#, options: .regularExpression) == nil)
        #expect(html.contains("default-src 'none'"))
        for (username, _) in fixture.renamed.values {
            #expect(html.contains(HTMLReport.escape(username)), "\(username.debugDescription) is shown, escaped")
        }
        #expect(html.contains("@page { size: A4"))
    }
}

@Suite("Export: outcomes, totals and the database")
struct ExportOutcomeTests {
    @Test func totalsAgreeAcrossCSVJSONHTMLAndTheDatabase() throws {
        let clamping = try JobCopy { $0.replacingOccurrences(of: "negative_balance: hold", with: "negative_balance: clamp") }
        let harness = try PipelineHarness(users: 400, seed: 12, specDirectory: clamping.directory)
        let sumOfBalances = "SELECT sum(balance)::text FROM users"
        let bundle = try harness.plan()
        try harness.approve(bundle)
        let before = try harness.connection.query(sumOfBalances)[0].decode(0, as: Money.self)
        _ = try harness.apply(bundle)
        let after = try harness.connection.query(sumOfBalances)[0].decode(0, as: Money.self)

        let document = try ExportBuilder(bundle: try PlanBundle.read(bundle.path), connection: harness.connection).build()
        let totals = document.totals
        #expect(document.phase == .outcome)
        #expect(document.crossCheck.agrees == true, "\(document.crossCheck.discrepancies)")
        #expect(totals.takenBack.isPositive)
        #expect(totals.owed.isPositive, "clamp leaves something owed")

        // The database: remedy's book and the shop's balances.
        let c = harness.connection
        let booked = try c.query("SELECT COALESCE(sum(balance_before - balance_after), 0)::text FROM remedy.entries WHERE plan_digest = $1 AND kind = 'discovered'", [bundle.digest])[0].decode(0, as: Money.self)
        let owed = try c.query("SELECT COALESCE(sum(amount), 0)::text FROM remedy.receivables WHERE plan_digest = $1", [bundle.digest])[0].decode(0, as: Money.self)
        let users = try c.query("SELECT count(DISTINCT user_id) FROM remedy.entries WHERE plan_digest = $1", [bundle.digest])[0].decode(0, as: Int.self)
        #expect(booked == totals.takenBack)
        #expect(before - after == totals.takenBack)
        #expect(owed == totals.owed)
        #expect(users == totals.usersAffected)
        #expect(totals.takenBack + totals.notMoved == bundle.plan.totals.toTakeBack)

        // CSV: the delta column sums to minus what was taken back, receivable to what is owed.
        let records = try StrictCSVReader.parse(ExportCSV.render(document, dialect: .standard), separator: ",", expectBOM: false)
        let index = Dictionary(uniqueKeysWithValues: records[0].enumerated().map { ($1, $0) })
        let rows = records.dropFirst()
        #expect(try rows.compactMap { try moneyCell($0[index["delta"]!], excel: false) }.checkedSum() == -totals.takenBack)
        #expect(try rows.compactMap { try moneyCell($0[index["receivable"]!], excel: false) }.checkedSum() == totals.owed)
        #expect(rows.filter { $0[index["outcome"]!] == "applied" }.count == totals.counts.applied)
        let excelRecords = try StrictCSVReader.parse(ExportCSV.render(document, dialect: .excel), separator: ";", expectBOM: true)
        #expect(try excelRecords.dropFirst().compactMap { try moneyCell($0[index["delta"]!], excel: true) }.checkedSum() == -totals.takenBack)

        // JSON: the same totals, exact strings.
        let json = try #require(try JSONSerialization.jsonObject(with: ExportJSON.render(document)) as? [String: Any])
        let jsonTotals = try #require(json["totals"] as? [String: Any])
        #expect(jsonTotals["taken_back"] as? String == totals.takenBack.exactText)
        #expect(jsonTotals["owed"] as? String == totals.owed.exactText)
        #expect(jsonTotals["over_credit_found"] as? String == totals.overCreditFound.exactText)
        #expect((jsonTotals["counts"] as? [String: Any])?["applied"] as? Int == totals.counts.applied)
        #expect((json["lines"] as? [Any])?.count == document.lines.count)

        // HTML: the same values in the totals table.
        let html = HTMLReport.html(document)
        let table = try #require(html.range(of: "<table class=\"kv\" id=\"totals-table\">").map { String(html[$0.lowerBound...].prefix(4_000)) })
        #expect(table.contains("<th>Taken back</th><td class=\"num\">\(totals.takenBack.rupiah)</td>"))
        #expect(table.contains("<th>Owed (receivables)</th><td class=\"num\">\(totals.owed.rupiah)</td>"))
        #expect(table.contains("<th>Over-credit found</th><td class=\"num\">\(totals.overCreditFound.rupiah)</td>"))

        // The chart's days add up to the adjustments' excess.
        #expect(try document.excessByDay.map(\.amount).checkedSum() == (try bundle.plan.adjustments.map(\.excess).checkedSum()))
        #expect(document.excessDistribution.map(\.users).reduce(0, +) == bundle.plan.adjustments.count)
    }

    @Test func beforeApplyItIsTheProposalFromTheBundleAlone() throws {
        let (fixture, _) = try ExportFixture.make(users: 200, seed: 5, apply: false)
        let document = try fixture.document(database: false)
        #expect(document.phase == .proposal)
        #expect(!document.crossCheck.performed)
        #expect(document.crossCheck.statement.contains("bundle alone"))
        #expect(document.totals.takenBack == fixture.bundle.plan.totals.toTakeBack)
        #expect(document.totals.owed == fixture.bundle.plan.totals.owed)
        #expect(document.totals.counts.planned == fixture.bundle.plan.adjustments.count)
        #expect(document.totals.counts.held == fixture.bundle.plan.holds.count)
        #expect(document.approvals.count == 2)
        #expect(document.approvals.allSatisfy { $0.signatureValid && $0.inBundle && $0.inDatabase == nil })
        #expect(document.auditChainHead == nil)
        #expect(HTMLReport.html(document).contains("bundle alone"))
        // With the database: still a proposal, and the head is the database's.
        let online = try fixture.document()
        #expect(online.phase == .proposal)
        #expect(online.auditChainHead?.hash == (try AuditLog(connection: fixture.harness.connection).currentHead().hash))
        #expect(online.crossCheck.agrees == true)
    }

    @Test func theLatestRunWinsAndAlreadyAppliedMeansAppliedEarlier() throws {
        let harness = try PipelineHarness(users: 300, seed: 8)
        let bundle = try harness.plan()
        try harness.approve(bundle)
        let lines = bundle.plan.adjustments
        try #require(lines.count >= 3)
        let handCorrected = lines[0]
        let c = harness.connection
        // Run 1: one user corrected by hand in between is stale.
        try c.execute("UPDATE users SET balance = balance + $2::numeric WHERE id = $1::uuid", [handCorrected.userId, handCorrected.delta])
        let first = try harness.apply(bundle)
        #expect(try first.lines().skipped.map(\.userId) == [handCorrected.userId])
        var document = try ExportBuilder(bundle: try PlanBundle.read(bundle.path), connection: c).build()
        var line = try #require(document.lines.first { $0.userId == handCorrected.userId })
        #expect(line.outcome == .stale)
        #expect(line.currentExcess == .zero)
        #expect(line.delta == .zero)
        #expect(document.totals.counts.stale == 1)
        #expect(document.totals.notMoved == (try handCorrected.delta.negated()))

        // The hand correction is undone; run 2 applies that line, and finds the rest booked.
        try c.execute("UPDATE users SET balance = balance - $2::numeric WHERE id = $1::uuid", [handCorrected.userId, handCorrected.delta])
        let second = try harness.apply(bundle)
        #expect(try second.lines().applied.map(\.userId) == [handCorrected.userId])
        #expect(second.counts.alreadyApplied == lines.count - 1)
        let firstApplied = try first.lines().applied
        for database in [true, false] {
            document = try ExportBuilder(bundle: try PlanBundle.read(bundle.path), connection: database ? c : nil).build()
            #expect(document.totals.counts.applied == lines.count, "database: \(database)")
            #expect(document.totals.counts.stale == 0)
            #expect(document.totals.takenBack == bundle.plan.totals.toTakeBack)
            line = try #require(document.lines.first { $0.userId == handCorrected.userId })
            #expect(line.runId == second.runId)
            let other = try #require(document.lines.first { $0.userId == lines[1].userId })
            #expect(other.outcome == .applied)
            #expect(other.runId == first.runId, "applied by run 1; run 2's 'already applied' confirms it")
            #expect(other.balanceBefore == firstApplied.first { $0.userId == lines[1].userId }?.balanceBefore)
            #expect(document.runs.count == 2)
            if database { #expect(document.crossCheck.agrees == true, "\(document.crossCheck.discrepancies)") }
        }
    }

    @Test func aMissingRunReportIsFilledFromTheDatabaseAndNamed() throws {
        let harness = try PipelineHarness(users: 200, seed: 6)
        let (bundle, report) = try harness.runPipeline()
        try FileManager.default.removeItem(atPath: "\(bundle.path)/runs/\(report.runId).json")
        let document = try ExportBuilder(bundle: try PlanBundle.read(bundle.path), connection: harness.connection).build()
        #expect(document.phase == .outcome)
        #expect(document.totals.counts.applied == report.counts.applied)
        #expect(document.totals.takenBack == report.takenBack)
        #expect(document.crossCheck.agrees == false)
        #expect(document.crossCheck.discrepancies.contains { $0.message.contains("has no report in the bundle") })
        #expect(document.runs.first?.reportInBundle == false)
    }

    @Test func aSecondPlanFromTheSameStateShowsItsLinesAsAlreadyBooked() throws {
        let harness = try PipelineHarness(users: 200, seed: 6)
        let first = try harness.plan()
        let second = try harness.plan()
        try harness.approve(first)
        _ = try harness.apply(first)
        let before = try ExportBuilder(bundle: second, connection: harness.connection).build()
        #expect(before.phase == .proposal)
        #expect(before.totals.counts.alreadyBooked == second.plan.adjustments.count)
        #expect(before.totals.takenBack == .zero)
        #expect(before.lines.first { $0.section == .adjustment }?.bookedByPlan == first.digest)
    }

    @Test func aRevertExportsWhatWasGivenBack() throws {
        let clamping = try JobCopy { $0.replacingOccurrences(of: "negative_balance: hold", with: "negative_balance: clamp") }
        let harness = try PipelineHarness(users: 200, seed: 21, specDirectory: clamping.directory)
        let (original, applied) = try harness.runPipeline()
        let written = try RevertPlanner(spec: harness.spec, original: try PlanBundle.readStreaming(original.path), plannerKey: harness.keys["andi"]!,
                                        connection: harness.connection)
            .plan(outDirectory: "\(harness.directory)/revert", defaultParent: harness.directory)
        let revert = try PlanBundle.read(written.path)
        try harness.approve(revert)
        let proposal = try ExportBuilder(bundle: revert, connection: harness.connection).build()
        #expect(proposal.totals.givenBack == applied.takenBack)
        #expect(proposal.totals.takenBack == .zero)
        _ = try harness.apply(revert)
        let document = try ExportBuilder(bundle: try PlanBundle.read(revert.path), connection: harness.connection).build()
        #expect(document.phase == .outcome)
        #expect(document.crossCheck.agrees == true, "\(document.crossCheck.discrepancies)")
        #expect(document.totals.givenBack == applied.takenBack)
        #expect(document.totals.owed == -applied.receivablesOpened, "the revert settles what the correction left owed")
        #expect(document.totals.counts.applied == applied.counts.applied)
        let records = try StrictCSVReader.parse(ExportCSV.render(document, dialect: .standard), separator: ",", expectBOM: false)
        let delta = try #require(records[0].firstIndex(of: "delta"))
        #expect(try records.dropFirst().compactMap { try moneyCell($0[delta], excel: false) }.checkedSum() == applied.takenBack)
        let html = HTMLReport.html(document)
        #expect(html.contains("<th>Given back</th><td class=\"num\">\(applied.takenBack.rupiah)</td>"))
        let notices = try CustomerNotices(document)
        #expect(notices.notices.allSatisfy { $0.messageEn.contains("restored") })
    }

    @Test func redactionRemovesNamesContactsAndIdsEverywhere() throws {
        let (fixture, _) = try ExportFixture.make(users: 300, seed: 14)
        let document = try fixture.document(redact: true)
        let again = try fixture.document(redact: true)
        #expect(document.lines.map(\.userId) == again.lines.map(\.userId), "stable within the plan")
        #expect(document.lines.allSatisfy { $0.userId.hasPrefix("anon-") && $0.label.isEmpty && $0.contact == nil })
        let outputs = [
            String(decoding: ExportCSV.render(document, dialect: .standard), as: UTF8.self),
            String(decoding: try ExportJSON.render(document), as: UTF8.self),
            HTMLReport.html(document),
        ]
        let people = try fixture.harness.connection.query("SELECT id::text, username, COALESCE(email, '') FROM users").map {
            (try $0.decode(0, as: String.self), try $0.decode(1, as: String.self), try $0.decode(2, as: String.self))
        }
        let inPlan = Set(fixture.bundle.plan.adjustments.map(\.userId) + fixture.bundle.plan.holds.map(\.userId) + fixture.bundle.plan.settled.map(\.userId))
        let keys = fixture.bundle.plan.adjustments.map(\.idempotencyKey)
        for output in outputs {
            #expect(!keys.contains { output.contains($0) }, "an idempotency key (a hash of the user id) leaked")
        }
        for (id, username, email) in people where inPlan.contains(id) {
            for output in outputs {
                #expect(!output.contains(id), "user id \(id) leaked")
                if username.count >= 8 { #expect(!output.contains(username) && !output.contains(HTMLReport.escape(username)), "\(username.debugDescription) leaked") }
                if !email.isEmpty { #expect(!output.contains(email) && !output.contains(HTMLReport.escape(email)), "\(email) leaked") }
            }
        }
        #expect(throws: RemedyError.self) { try CustomerNotices(document) }
    }

    @Test func noticesListWhatWasTakenBackWithASentence() throws {
        let (fixture, report) = try ExportFixture.make(users: 300, seed: 15)
        let applied = try #require(report).lines().applied
        let notices = try CustomerNotices(try fixture.document())
        #expect(notices.notices.count == applied.count)
        for notice in notices.notices {
            let line = try #require(applied.first { $0.userId == notice.userId })
            #expect(notice.amount == -line.delta)
            #expect(notice.messageId.contains(notice.amountRupiah) && notice.messageEn.contains(notice.amountRupiah))
            #expect(notice.messageId.contains("telah kami kurangi"))
        }
        let records = try StrictCSVReader.parse(notices.csv(dialect: .standard), separator: ",", expectBOM: false)
        #expect(records.first == CustomerNotices.csvColumns)
        #expect(records.count == applied.count + 1)
        for row in records.dropFirst() {
            if let renamed = fixture.renamed[row[0]] {
                #expect(StrictCSVReader.original(row[1]) == renamed.username)
                #expect(StrictCSVReader.original(row[2]) == renamed.email)
            }
        }
        // Before apply: the same notices, in the future tense.
        let (proposal, _) = try ExportFixture.make(users: 200, seed: 15, apply: false)
        let planned = try CustomerNotices(try proposal.document(database: false))
        #expect(planned.notices.count == proposal.bundle.plan.adjustments.count)
        #expect(planned.notices.allSatisfy { $0.outcome == .planned && $0.messageEn.contains("will reduce") })
    }
}
