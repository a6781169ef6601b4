import Foundation
import Testing
@testable import RemedyCore

/// The export written as it is made: the same bytes as the whole document rendered at once, and
/// an HTML page that holds part of a large plan and says where the rest is.
@Suite("Export: streamed, and the HTML page of a large plan")
struct ExportStreamingTests {
    /// The JSON stream (the document's bytes around its lines, then each line) is byte for byte
    /// the canonical encoding of the whole document, as `ExportJSON.render` writes it.
    @Test func streamedJSONAndCSVAreTheWholeDocumentsBytes() throws {
        let (fixture, _) = try ExportFixture.make(seed: 21)
        let builder = try ExportBuilder(bundle: fixture.bundle, connection: fixture.harness.connection)
        let generatedAt = "2026-11-29T00:00:00.000000Z"
        let whole = try builder.build(generatedAt: generatedAt)
        try #require(whole.lines.count > ExportBuilder.batchLines / 10, "enough lines to matter")
        try #require(whole.lines.contains { $0.section == .hold } && whole.lines.contains { $0.outcome == .applied })

        let (json, csv) = try builder.export(generatedAt: generatedAt) { document, _, lines in
            #expect(document.lines.isEmpty, "the document is handed on without its lines")
            var stream = try ExportJSON.Stream(document)
            var csvStream = ExportCSV.Stream(document, dialect: .excel)
            let json = ExportSink.memory()
            var csv = csvStream.header()
            try json.write(stream.prefix)
            try lines.forEach { line in
                try json.write(stream.record(line))
                csv += csvStream.record(line)
            }
            try json.write(stream.suffix)
            try json.finish()
            return (json.data, csv)
        }
        #expect(json == (try ExportJSON.render(whole)))
        #expect(Data(csv.utf8) == ExportCSV.render(whole, dialect: .excel))
        // And both describe the plan's every line, in plan order.
        let plan = try PlanBundle.read(fixture.bundle.path).plan
        #expect(whole.lines.map(\.userId) == plan.adjustments.map(\.userId) + plan.holds.map(\.userId) + plan.settled.map(\.userId))
    }

    /// Above the layout's limit the page shows the highlights in full and every held user in one
    /// compact line, links the complete CSV, and carries the plan's warnings, escaped.
    @Test func theHTMLOfAPlanWithManyHoldsStaysBoundedAndLinksTheCSV() throws {
        let (fixture, _) = try ExportFixture.make(users: 1_200, seed: 22)
        var document = try fixture.document()
        let holds = document.lines.filter { $0.outcome == .held }
        let adjustments = document.lines.filter { $0.section == .adjustment }
        try #require(holds.count >= 20 && adjustments.count > ExportHighlights.largestLines, "a plan with many holds and corrections")
        document.plan.warnings = ["completed_at is NULL on <b>3</b> purchases & \"more\"", "second warning"]

        let layout = HTMLReport.Layout(fullListMaxLines: 10, heldLinesPerBlock: 7)
        let page = HTMLReport.html(document, layout: layout, completeList: "report.csv")
        let full = HTMLReport.html(document, layout: HTMLReport.Layout(fullListMaxLines: .max), completeList: "report.csv")

        // Rows drawn in full: the largest corrections and a sample of each outcome, never every line.
        let rows = page.components(separatedBy: "<tr data-outcome=").count - 1
        let outcomes = Set(document.lines.map(\.outcome)).subtracting([.held]).count
        #expect(rows <= ExportHighlights.largestLines + ExportHighlights.samplesPerOutcomeLines * outcomes)
        #expect(rows < adjustments.count)
        #expect(full.components(separatedBy: "<tr data-outcome=").count - 1 == document.lines.count)
        // The largest correction is among them.
        let largest = try #require(adjustments.max { $0.plannedDelta.absoluteMinorUnits < $1.plannedDelta.absoluteMinorUnits })
        #expect(page.contains(HTMLReport.row(largest)))

        // Every held user, once, in one compact line under a heading per hold reason (the
        // largest group first), in plan order within it, in blocks of at most heldLinesPerBlock
        // lines (the browser lays out only the blocks in view).
        let holdsDiv = try #require(page.components(separatedBy: "<div id=\"holds\">\n").last?.components(separatedBy: "</div>").first)
        let groups = Dictionary(grouping: holds, by: \.reasonCode)
        try #require(groups.count >= 2, "holds of more than one reason: \(groups.keys)")
        let order = groups.sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }
        let sections = holdsDiv.components(separatedBy: "<h3 class=\"held-reason\">").dropFirst()
        #expect(sections.count == groups.count)
        for ((reason, members), section) in zip(order, sections) {
            let heading = "\(reason): \(members.count) held</h3>\n"
            #expect(section.hasPrefix(heading), "\(section.prefix(80))")
            let blocks = section.dropFirst(heading.count).components(separatedBy: "</pre>\n").dropLast()
            #expect(blocks.count == (members.count + 6) / 7)
            #expect(blocks.allSatisfy { $0.hasPrefix(HTMLReport.heldBlockOpen) && $0.split(separator: "\n").count <= 7 })
            let text = blocks.map { $0.dropFirst(HTMLReport.heldBlockOpen.count) }.joined()
            let width = members.map { $0.excess.rupiah.count }.max()!
            #expect(text == members.map { HTMLReport.HeldRow($0).text(excessWidth: width) }.joined())
            for hold in members {
                let row = HTMLReport.HeldRow(hold).text(excessWidth: width)
                let excess = hold.excess.rupiah
                #expect(row.hasPrefix(String(repeating: " ", count: width - excess.count) + HTMLReport.escape(excess) + "  " + HTMLReport.isolated(hold.userId) + "  "),
                        "excess aligned, then the user id, no reason: \(row)")
                #expect(row.utf8.count <= width + 5 + hold.userId.utf8.count + HTMLReport.escape(hold.label).utf8.count * 2,
                        "a held user costs the excess and about 5 bytes plus the id and name")
            }
        }
        // Smaller than the page listing every line in full, and it says where the complete list is.
        #expect(page.utf8.count < full.utf8.count)
        #expect(page.contains("<a href=\"report.csv\">report.csv</a>"))
        #expect(page.contains("The complete list of all \(document.lines.count) lines"))

        // The plan's warnings, escaped, in the page and on the CSV's first record.
        #expect(page.contains("id=\"warnings\""))
        #expect(page.contains(HTMLReport.escape(document.plan.warnings[0])))
        #expect(!page.contains("<b>3</b>"))
        let records = try StrictCSVReader.parse(ExportCSV.render(document, dialect: .standard), separator: ",", expectBOM: false)
        let column = try #require(ExportCSV.columns.firstIndex(of: "plan_warnings"))
        #expect(records[1][column] == document.plan.warnings.joined(separator: "\n"))
        #expect(records.dropFirst(2).allSatisfy { $0[column].isEmpty }, "once, on the first line")
    }

    /// Hostile names in a held user's compact line stay text: escaped, and a line break cannot
    /// start a second line of the block.
    @Test func aHeldUsersCompactLineIsEscaped() {
        var line = ExportBuilder.settled(SettledLine(userId: "u<1>", label: "a\nb <img src=x onerror=alert(1)>", candidateTopUps: 0, note: ""))
        line.outcome = .held
        let row = HTMLReport.HeldRow(line).text(excessWidth: 16)
        #expect(row.filter { $0 == "\n" }.count == 1 && row.hasSuffix("\n"))
        #expect(!row.contains("<img") && row.contains("&lt;img") && row.contains("u&lt;1&gt;"))

        // A name or id with right-to-left letters or bidi controls is isolated: it cannot reorder
        // the excess, reason, id or name beside it.
        for hostile in ["\u{202E}0005 pR", "مريم 12", "\u{2067}abc"] {
            line.label = hostile
            #expect(HTMLReport.HeldRow(line).text(excessWidth: 16).hasSuffix("  <bdi>\(HTMLReport.escape(hostile))</bdi>\n"), "\(hostile.debugDescription) is isolated")
            var byId = line
            byId.label = "plain"
            byId.userId = hostile + "<1>"
            #expect(HTMLReport.HeldRow(byId).text(excessWidth: 16).hasSuffix("  <bdi>\(HTMLReport.escape(hostile))&lt;1&gt;</bdi>  plain\n"), "an id \(hostile.debugDescription) is isolated")
        }
    }

    /// Customer notices written as lines come (`export --notices`): byte for byte what the whole
    /// notices document gives, in CSV (both dialects) and JSON.
    @Test func streamedNoticesAreTheWholeNoticesBytes() throws {
        let (fixture, report) = try ExportFixture.make(users: 300, seed: 15)
        try #require(try #require(report).counts.applied > 0)
        let builder = try ExportBuilder(bundle: fixture.bundle, connection: fixture.harness.connection)
        let generatedAt = "2026-11-29T00:00:00.000000Z"
        let whole = try CustomerNotices(try builder.build(generatedAt: generatedAt))
        try #require(whole.notices.count > 1)
        let (json, standard, excel) = try builder.export(generatedAt: generatedAt) { document, _, lines in
            let maker = try CustomerNotices.Maker(document)
            var json = try CustomerNotices.JSONStream(document)
            var standard = CustomerNotices.CSVStream(dialect: .standard)
            var excel = CustomerNotices.CSVStream(dialect: .excel)
            var jsonBytes = json.prefix
            var standardText = standard.header()
            var excelText = excel.header()
            try lines.forEach { line in
                guard let notice = try maker.notice(line) else { return }
                jsonBytes.append(json.record(notice))
                standardText += standard.record(notice)
                excelText += excel.record(notice)
            }
            jsonBytes.append(json.suffix)
            return (jsonBytes, standardText, excelText)
        }
        #expect(json == (try whole.json()))
        #expect(Data(standard.utf8) == whole.csv(dialect: .standard))
        #expect(Data(excel.utf8) == whole.csv(dialect: .excel))
    }
}
