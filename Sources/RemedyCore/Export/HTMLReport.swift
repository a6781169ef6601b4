import Crypto
import Foundation
import Rupiah

/// The report finance opens, prints and files: one self-contained HTML file. No network, no
/// external script, font or image; the charts are inline SVG; a small inline script (allowed by
/// its hash in the Content-Security-Policy, nothing else may run) only filters the table, and the
/// page reads completely without it. Every value from the bundle or the database goes through
/// `HTMLReport.escape` before it reaches the page, text or attribute alike.
public enum HTMLReport {
    /// `&`, `<`, `>`, `"` and `'` as entities; control characters other than tab, CR and LF shown
    /// as `\u{…}` so they are visible instead of silently shaping the page.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.properties.generalCategory == .control {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// The filter: reads rows' text and `data-outcome` from the DOM; no data is spliced into it.
    static let script = """
    (function () {
      var box = document.getElementById('filters');
      var query = document.getElementById('filter-text');
      var outcome = document.getElementById('filter-outcome');
      var shown = document.getElementById('filter-count');
      var rows = document.querySelectorAll('#lines tbody tr');
      if (!box || !query || !outcome || !shown) { return; }
      box.hidden = false;
      function apply() {
        var text = query.value.toLowerCase();
        var wanted = outcome.value;
        var count = 0;
        for (var i = 0; i < rows.length; i++) {
          var row = rows[i];
          var match = (!wanted || row.getAttribute('data-outcome') === wanted) &&
                      (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
          row.hidden = !match;
          if (match) { count++; }
        }
        shown.textContent = count + ' / ' + rows.length;
      }
      query.addEventListener('input', apply);
      outcome.addEventListener('change', apply);
      apply();
    })();
    """

    static let style = """
    :root { color-scheme: light; }
    * { box-sizing: border-box; }
    body { font: 13px/1.45 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: #111; background: #fff; margin: 24px auto; max-width: 1180px; padding: 0 16px; }
    h1 { font-size: 22px; margin: 0 0 4px; }
    h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 2px solid #222; padding-bottom: 3px; }
    .sub { color: #444; margin: 0 0 12px; }
    .mono { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 12px; overflow-wrap: anywhere; }
    .banner { border: 2px solid #222; padding: 8px 12px; margin: 12px 0; background: #f4f4f4; }
    .banner.warn { border-color: #a40000; background: #fff1f1; }
    .figures { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
    .figure { border: 1px solid #999; padding: 8px 12px; min-width: 190px; }
    .figure .k { font-size: 11px; color: #444; text-transform: uppercase; letter-spacing: .03em; }
    .figure .v { font-size: 20px; font-weight: bold; white-space: nowrap; }
    table { border-collapse: collapse; width: 100%; }
    th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
    th { background: #eee; }
    td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
    table.kv th { width: 34%; font-weight: normal; background: #f6f6f6; }
    #lines { table-layout: fixed; }
    #lines td { overflow-wrap: anywhere; }
    #lines th { white-space: normal; }
    #lines td.num { white-space: normal; overflow-wrap: normal; word-break: keep-all; }
    #lines .mono { font-size: 11px; }
    #lines .who { font-weight: bold; }
    #lines td.reason { font-size: 11px; }
    .outcome { font-weight: bold; white-space: nowrap; }
    .o-applied, .o-planned { color: #0a5d00; }
    .o-stale, .o-skipped, .o-pending, .o-already_booked { color: #a40000; }
    .o-held { color: #7a4b00; }
    .o-settled { color: #555; }
    .charts { display: flex; flex-wrap: wrap; gap: 16px; }
    figure { margin: 0; flex: 1 1 540px; }
    figcaption { font-weight: bold; margin-bottom: 4px; }
    svg text { font: 10px "DejaVu Sans", Arial, sans-serif; fill: #222; }
    #filters { margin: 8px 0; padding: 6px 8px; background: #f4f4f4; border: 1px solid #ccc; }
    #filters input, #filters select { font: inherit; padding: 2px 4px; }
    footer { margin-top: 28px; color: #444; font-size: 12px; }
    /* The holds, a block of heldLinesPerBlock lines at a time: the browser lays out only the
       blocks in view (a 70,000-line block took Chromium 10 s to open, blocks of 1,000 under 3 s);
       each off-screen block keeps the height of its lines, so the scrollbar stays true. */
    pre.held { margin: 0; line-height: 1.25em; content-visibility: auto; contain-intrinsic-size: auto 1250em; }
    h3.held-reason { margin: 14px 0 4px; font-size: 14px; }
    @page { size: A4; margin: 14mm 11mm; }
    @media print {
      body { margin: 0; max-width: none; padding: 0; font-size: 9pt; }
      #filters { display: none !important; }
      #lines tbody tr[hidden] { display: table-row !important; }
      pre.held { content-visibility: visible; }
      h2, h3 { break-after: avoid; }
      thead { display: table-header-group; }
      tr, .figure, figure { break-inside: avoid; }
      .figure .v { font-size: 14pt; }
      figure { flex: 1 1 45%; }
      #lines { font-size: 7.5pt; }
      #lines .mono, #lines td.reason { font-size: 7pt; }
      .banner { background: none; }
      th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    }
    """

    /// The whole page in memory (tests, small exports): every line of `document`, as the stream
    /// writes it when they all fit on the page.
    public static func render(_ document: ExportDocument, layout: Layout = Layout(), completeList: String? = nil) -> Data {
        Data(html(document, layout: layout, completeList: completeList).utf8)
    }

    public static func html(_ document: ExportDocument, layout: Layout = Layout(), completeList: String? = nil) -> String {
        var highlights = ExportHighlights()
        for line in document.lines { highlights.consider(line) }
        var header = document
        header.lines = []
        var stream = Stream(header, highlights: highlights, layout: layout, completeList: completeList)
        var h = stream.head()
        for line in document.lines { h += stream.record(line) }
        return h + stream.tail()
    }

    /// How much of the line list the page holds.
    public struct Layout: Sendable {
        /// Up to this many lines, the page lists every one in full; above, the largest corrections,
        /// a sample of each outcome and every held user in one compact text line each, and the
        /// complete list is the CSV beside the page.
        public var fullListMaxLines: Int
        /// Held users per `<pre class="held">` block (see the style's `pre.held`).
        public var heldLinesPerBlock: Int

        public init(fullListMaxLines: Int = 2_000, heldLinesPerBlock: Int = 1_000) {
            precondition(heldLinesPerBlock > 0)
            self.fullListMaxLines = fullListMaxLines
            self.heldLinesPerBlock = heldLinesPerBlock
        }
    }

    /// The page a piece at a time: `head()`, `record(_:)` for every line in plan order, `tail()`.
    public struct Stream {
        let document: ExportDocument
        let highlights: ExportHighlights
        /// Every line in full (small plans), or highlights and compact holds.
        public let listsEveryLine: Bool
        /// The file name of the complete line list written beside the page (nil: none written).
        let completeList: String?
        let heldLinesPerBlock: Int
        /// Held users (compact layout), by hold reason, until `tail()` writes them a reason at a
        /// time: a heading names the reason once instead of every line repeating it (at 1M users,
        /// 70,573 holds, that is a quarter of the page). What waits here is the held section's own
        /// bytes, which the page holds anyway.
        private var held: [String: [HeldRow]] = [:]

        /// `document` without its lines; `highlights` from the export's first pass.
        public init(_ document: ExportDocument, highlights: ExportHighlights, layout: Layout = Layout(), completeList: String?) {
            self.document = document
            self.highlights = highlights
            self.listsEveryLine = document.totals.usersInPlan <= layout.fullListMaxLines
            self.completeList = completeList
            self.heldLinesPerBlock = layout.heldLinesPerBlock
        }

        public func head() -> String {
            HTMLReport.head(document, highlights: highlights, listsEveryLine: listsEveryLine, completeList: completeList)
        }

        /// Every line as a table row (small plans); else nothing now, and held users kept for the
        /// tail.
        public mutating func record(_ line: ExportLine) -> String {
            if listsEveryLine { return HTMLReport.row(line, gatewayVerdicts: document.gatewayVerdicts) }
            if line.outcome == .held { held[line.reasonCode, default: []].append(HeldRow(line)) }
            return ""
        }

        public func tail() -> String {
            (listsEveryLine ? "" : HTMLReport.heldGroups(held, linesPerBlock: heldLinesPerBlock)) + HTMLReport.tail(document, listsEveryLine: listsEveryLine)
        }
    }

    static func head(_ document: ExportDocument, highlights: ExportHighlights, listsEveryLine: Bool, completeList: String?) -> String {
        let e = escape
        let plan = document.plan
        let totals = document.totals
        let isRevert = plan.kind == .revert
        let done = document.phase == .outcome
        let scriptHash = Data(SHA256.hash(data: Data(script.utf8))).base64EncodedString()

        var h = ""
        h.reserveCapacity(65_536)
        h += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-\(scriptHash)'; img-src data:; base-uri 'none'; form-action 'none'\">\n"
        h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        h += "<title>remedy \(e(done ? "report" : "proposal")): \(e(plan.job)) \(e(String(plan.digest.prefix(12))))</title>\n"
        h += "<style>\n\(style)</style>\n</head>\n<body>\n"

        // Header
        h += "<header>\n<h1>\(done ? "What was done" : "Proposal for sign-off"): \(e(plan.job))\(isRevert ? " (revert)" : "")</h1>\n"
        h += "<p class=\"sub\">Plan <span class=\"mono\">\(e(plan.digest))</span> on database \(e(plan.database.databaseName)). "
        h += done ? "Lines show what apply did, with the values at apply time." : "No apply has run: lines show what apply would do."
        h += "</p>\n</header>\n"
        h += "<div class=\"banner\(document.crossCheck.performed ? "" : " warn")\" id=\"source\">\(e(document.crossCheck.statement))</div>\n"
        if document.redacted {
            h += "<div class=\"banner\">Redacted: customer names and contacts removed; user ids replaced by pseudonyms (HMAC-SHA256 keyed with a secret of the installation that no export contains).</div>\n"
        }
        if !plan.warnings.isEmpty {
            h += "<div class=\"banner warn\" id=\"warnings\"><strong>\(plan.warnings.count) warning(s) from remedy check when the plan was made, for the approvers to confirm:</strong><ul>\n"
            for warning in plan.warnings { h += "<li>\(e(warning))</li>\n" }
            h += "</ul></div>\n"
        }
        if !document.crossCheck.discrepancies.isEmpty {
            h += "<div class=\"banner warn\" id=\"discrepancies\"><strong>\(document.crossCheck.discrepancies.count) discrepancy(ies) between the bundle and the database — do not sign off before they are explained:</strong><ul>\n"
            for item in document.crossCheck.discrepancies.prefix(200) {
                h += "<li>\(item.userId.map { "<span class=\"mono\">\(e($0))</span>: " } ?? "")\(e(item.message))</li>\n"
            }
            if document.crossCheck.discrepancies.count > 200 { h += "<li>… and \(document.crossCheck.discrepancies.count - 200) more (see the JSON export)</li>\n" }
            h += "</ul></div>\n"
        }

        // Totals
        h += "<section id=\"totals\">\n<h2>Totals</h2>\n<div class=\"figures\">\n"
        let figures: [(String, String)] = isRevert
            ? [(done ? "Given back" : "To give back", totals.givenBack.rupiah), ("Users affected", String(totals.usersAffected))]
            : [("Over-credit found", totals.overCreditFound.rupiah), (done ? "Taken back" : "To take back", totals.takenBack.rupiah),
               ("Owed (receivables)", totals.owed.rupiah), ("Held for review", totals.heldForReview.rupiah),
               ("Would go negative", totals.wouldGoNegative.rupiah), ("Users affected", String(totals.usersAffected))]
        for (key, value) in figures {
            h += "<div class=\"figure\"><div class=\"k\">\(e(key))</div><div class=\"v\">\(e(value))</div></div>\n"
        }
        h += "</div>\n<table class=\"kv\" id=\"totals-table\"><tbody>\n"
        for row in totals.rows(kind: plan.kind) {
            h += "<tr><th>\(e(row.label))</th><td class=\"num\">\(e(row.value))</td></tr>\n"
        }
        h += "</tbody></table>\n"
        h += "<p class=\"sub\">As planned (plan.json): to take back \(e(document.planTotals.toTakeBack.rupiah)), owed \(e(document.planTotals.owed.rupiah)), \(document.planTotals.adjustmentCount) adjustments, \(document.planTotals.holdCount) holds, \(document.planTotals.settledCount) already corrected, \(document.planTotals.ambiguousCount) ambiguous.</p>\n"
        h += "</section>\n"

        // Sign-off
        h += "<section id=\"signoff\">\n<h2>Plan and sign-off</h2>\n<table class=\"kv\"><tbody>\n"
        var facts: [(String, String, Bool)] = [
            ("Plan digest (SHA-256 of plan.json)", plan.digest, true),
            ("Check it", "sha256sum -c plan.sha256   (in the bundle directory: must print \"plan.json: OK\")", true),
            ("Job", "\(plan.job) v\(plan.jobVersion), spec \(plan.specDigest.prefix(16))…", false),
            ("Parameters", plan.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "  "), true),
            ("Database", plan.database.description, false),
            ("Snapshot / expires", "\(plan.snapshotAt) / \(plan.expiresAt)", true),
            ("Planned by", "\(plan.plannerName) (\(plan.plannerRole))", false),
            ("Quorum", plan.quorum.joined(separator: " + "), false),
            ("Negative balances", plan.negativeBalancePolicy.rawValue, false),
            ("Balance trigger", "\(plan.triggerRefires ? "re-fires on updates" : "fires on the transition only"): \(plan.triggerRefiresReason)", false),
        ]
        if let reverts = plan.reverts { facts.append(("Reverts plan", reverts, true)) }
        if let head = document.auditChainHead {
            facts.append(("Audit chain head", head.hash, true))
            facts.append(("Chain head source", "\(head.source)\(head.seq.map { ", row \($0)" } ?? "")", false))
            facts.append(("Check it", "remedy audit verify --head \(head.hash)", true))
        } else {
            facts.append(("Audit chain head", "none: no run yet and no database consulted", false))
        }
        if let signed = document.signedAuditHead {
            facts.append(("Last run's final head", "\(signed.hash), row \(signed.seq)", true))
            facts.append(("Signed by", "\(signed.name) (\(signed.role)), key \(signed.publicKey.base64), at \(signed.signedAt)", false))
            facts.append(("Signature", signed.signature, true))
            facts.append(("Check it", "remedy audit verify --head runs/RUN.json (the run's report in the bundle) or --head the JSON export", true))
        }
        facts.append(("Exported", "\(document.generatedAt) from \(document.bundlePath)", false))
        for (key, value, mono) in facts {
            h += "<tr><th>\(e(key))</th><td\(mono ? " class=\"mono\"" : "")>\(e(value))</td></tr>\n"
        }
        h += "</tbody></table>\n"
        h += "<h3>Approvals</h3>\n"
        if document.approvals.isEmpty {
            h += "<p>No approval yet.</p>\n"
        } else {
            h += "<table id=\"approvals\"><thead><tr><th>Name</th><th>Role</th><th>Signed at (UTC)</th><th>Signature</th><th>In bundle</th><th>In database</th><th>Trusted key</th></tr></thead><tbody>\n"
            for approval in document.approvals {
                h += "<tr><td>\(e(approval.name))</td><td>\(e(approval.role))</td><td class=\"mono\">\(e(approval.signedAt))</td>"
                h += "<td>\(approval.signatureValid ? "valid" : "<strong>INVALID</strong>")</td><td>\(yesNo(approval.inBundle))</td>"
                h += "<td>\(yesNo(approval.inDatabase))</td><td>\(yesNo(approval.trusted))</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }
        if !document.runs.isEmpty {
            h += "<h3>Apply runs</h3>\n<table id=\"runs\"><thead><tr><th>Run</th><th>Operator</th><th>Started (UTC)</th><th>Finished (UTC)</th><th class=\"num\">Applied</th><th class=\"num\">Already</th><th class=\"num\">Skipped</th><th>Report in bundle</th><th>Database says</th></tr></thead><tbody>\n"
            for run in document.runs {
                h += "<tr><td class=\"mono\">\(e(run.runId))</td><td>\(e(run.operatorName ?? ""))</td><td class=\"mono\">\(e(run.startedAt ?? ""))</td><td class=\"mono\">\(e(run.finishedAt ?? ""))</td>"
                h += "<td class=\"num\">\(run.applied.map(String.init) ?? "")</td><td class=\"num\">\(run.alreadyApplied.map(String.init) ?? "")</td><td class=\"num\">\(run.skipped.map(String.init) ?? "")</td>"
                h += "<td>\(yesNo(run.reportInBundle))</td><td>\(e(run.inDatabase == nil ? "not consulted" : run.inDatabase == true ? (run.databaseOutcome ?? "unfinished") : "not recorded"))</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }
        h += "</section>\n"

        // Charts
        if !isRevert {
            h += "<section id=\"charts\">\n<h2>Where the over-credit came from</h2>\n<div class=\"charts\">\n"
            h += "<figure id=\"chart-days\"><figcaption>Excess explained by the adjustments, by the day each top-up was paid (WIB)</figcaption>\n"
            h += barChart(document.excessByDay.map { day in
                (label: String(day.day.dropFirst(5)).replacingOccurrences(of: "-", with: "/"), value: day.amount.minorUnits,
                 title: "\(day.day): \(day.amount.rupiah) from \(day.topUps) top-up(s)")
            }, tickUnit: Money.minorUnitsPerRupiah * 1_000, valueText: { Money(minorUnits: $0).rupiah }, empty: "No adjustment: nothing to chart.")
            h += "</figure>\n"
            h += "<figure id=\"chart-distribution\"><figcaption>Users by excess (adjustments; each bar from the rupiah amount below it)</figcaption>\n"
            h += barChart(document.excessDistribution.map { bin in
                (label: bin.from.unsignedRupiah.replacingOccurrences(of: "Rp ", with: ""), value: Int64(bin.users),
                 title: "\(bin.from.rupiah) to under \(bin.to.rupiah): \(bin.users) user(s)")
            }, valueText: { String($0) }, empty: "No adjustment: nothing to chart.")
            h += "</figure>\n</div>\n</section>\n"
        }

        // Lines
        let lineCount = document.totals.usersInPlan
        let shown = listsEveryLine ? [] : highlights.lines
        if listsEveryLine {
            h += "<section id=\"lines-section\">\n<h2>Per user (\(lineCount) lines)</h2>\n"
        } else {
            h += "<section id=\"lines-section\">\n<h2>Per user: the largest corrections and a sample of each outcome (\(shown.count) of \(lineCount) lines)</h2>\n"
        }
        h += completeListNote(lineCount: lineCount, completeList: completeList, listsEveryLine: listsEveryLine)
        h += "<div id=\"filters\" hidden><label>Filter <input id=\"filter-text\" type=\"search\" placeholder=\"name, id, reference…\"></label> "
        h += "<label>Outcome <select id=\"filter-outcome\"><option value=\"\">all</option>"
        for outcome in LineOutcome.allCases where totals.counts[outcome] > 0 {
            h += "<option value=\"\(e(outcome.rawValue))\">\(e(outcome.rawValue)) (\(totals.counts[outcome]))</option>"
        }
        h += "</select></label> <span id=\"filter-count\"></span> (printing shows every line)</div>\n"
        let movedHeader = isRevert ? "Given back" : (done ? "Taken back" : "To take back")
        h += "<table id=\"lines\"><colgroup><col style=\"width:19%\"><col style=\"width:8%\"><col style=\"width:19%\"><col style=\"width:10%\"><col style=\"width:10%\"><col style=\"width:8%\"><col style=\"width:13%\"><col style=\"width:13%\"></colgroup><thead><tr><th>User</th><th>Outcome</th><th>Reason</th><th class=\"num\">Excess</th><th class=\"num\">\(movedHeader)</th><th class=\"num\">Owed</th><th class=\"num\">Balance before → after</th><th>Evidence</th></tr></thead><tbody>\n"
        guard !listsEveryLine else { return h }
        for line in shown { h += row(line, gatewayVerdicts: document.gatewayVerdicts) }
        h += "</tbody></table>\n</section>\n"
        h += "<section id=\"holds-section\">\n<h2>Held for a person (\(totals.counts.held) users, untouched)</h2>\n"
        h += "<p class=\"sub\">By hold reason, the largest group first; in each, one line per held user in plan order: excess, user id, name. Why each is held, and its evidence, is in the complete list.</p>\n"
        h += "<div id=\"holds\">\n"
        return h
    }

    /// Where the complete line list is, said on the page.
    static func completeListNote(lineCount: Int, completeList: String?, listsEveryLine: Bool) -> String {
        let e = escape
        let lead = listsEveryLine ? "Every line is below." : "This page shows part of the \(lineCount) lines."
        if let completeList {
            return "<p class=\"sub\" id=\"complete-list\">\(lead) The complete list of all \(lineCount) lines, with every column, is <a href=\"\(e(completeList))\">\(e(completeList))</a>, written beside this file by the same export.</p>\n"
        }
        return "<p class=\"sub\" id=\"complete-list\">\(lead) The complete list of all \(lineCount) lines, with every column, is the CSV or JSON export of this plan: <span class=\"mono\">remedy export BUNDLE --format csv --out FILE</span> (or <span class=\"mono\">--format html --out FILE</span>, which writes the CSV beside the page).</p>\n"
    }

    /// One line as a row of the lines table: the one place a line is drawn in full.
    static func row(_ line: ExportLine, gatewayVerdicts: [String: GatewayReferenceCheck.Verdict]? = nil) -> String {
        let e = escape
        let moved = line.delta.isZero ? "" : line.delta.unsignedRupiah
        var balances = ""
        if let before = line.balanceBefore ?? (line.outcome == .planned ? line.balance : nil) {
            balances = e(before.rupiah) + (line.balanceAfter.map { "<br>→ " + e($0.rupiah) } ?? "")
        } else if let balance = line.balance {
            balances = e(balance.rupiah)
        }
        var h = "<tr data-outcome=\"\(e(line.outcome.rawValue))\">"
        h += "<td>\(line.label.isEmpty ? "" : "<bdi class=\"who\">\(e(line.label))</bdi><br>")<span class=\"mono\">\(e(line.userId))</span>\(line.contact.map { "<br><bdi>\(e($0))</bdi>" } ?? "")</td>"
        h += "<td class=\"outcome o-\(e(line.outcome.rawValue))\">\(e(line.outcome.rawValue))</td>"
        h += "<td class=\"reason\">\(e(line.reason))</td>"
        h += "<td class=\"num\">\(e(line.excess.rupiah))</td><td class=\"num\">\(e(moved))</td>"
        h += "<td class=\"num\">\(line.receivable.isZero ? "" : e(line.receivable.rupiah))</td>"
        h += "<td class=\"num\">\(balances)</td><td class=\"mono\">\(e(line.evidenceText))\(gatewayMark(line, gatewayVerdicts))</td></tr>\n"
        return h
    }

    /// Where a block of held users starts.
    static let heldBlockOpen = "<pre class=\"mono held\">"

    /// A held user as the tail writes it: the excess (right aligned to its group's widest), then
    /// the user id and name, ready to print.
    struct HeldRow {
        let excess: String
        let rest: String

        init(_ line: ExportLine) {
            excess = line.excess.rupiah
            let label = line.label.replacingOccurrences(of: "\r", with: "\\u{d}").replacingOccurrences(of: "\n", with: "\\u{a}")
            rest = HTMLReport.isolated(line.userId) + "  " + HTMLReport.isolated(label) + "\n"
        }

        /// One line of text (about 18 bytes plus the user id and name). Line breaks in a name are
        /// shown as `\u{a}`.
        func text(excessWidth: Int) -> String {
            String(repeating: " ", count: max(0, excessWidth - excess.count)) + HTMLReport.escape(excess) + "  " + rest
        }
    }

    /// The held users of a compact page, a group per hold reason (most users first, then by
    /// reason), each under a heading with its count, in blocks of `linesPerBlock` lines.
    static func heldGroups(_ groups: [String: [HeldRow]], linesPerBlock: Int) -> String {
        precondition(linesPerBlock > 0)
        var h = ""
        for (reason, rows) in groups.sorted(by: { ($0.value.count, $1.key) > ($1.value.count, $0.key) }) {
            let width = rows.map(\.excess.count).max() ?? 0
            h += "<h3 class=\"held-reason\">\(escape(reason)): \(rows.count) held</h3>\n"
            for start in stride(from: 0, to: rows.count, by: linesPerBlock) {
                h += heldBlockOpen
                for row in rows[start..<min(start + linesPerBlock, rows.count)] { h += row.text(excessWidth: width) }
                h += "</pre>\n"
            }
        }
        return h
    }

    /// `text` escaped, and isolated in `<bdi>` when it has any character beyond ASCII: right-to-left
    /// letters or bidi controls in a name (or a user id, where a schema's ids are text) cannot then
    /// reorder the figures beside it. ASCII holds neither, and a `<bdi>` for each of 70,000 held
    /// users more than doubled the time Chromium took to open the page.
    static func isolated(_ text: String) -> String {
        text.utf8.allSatisfy { $0 < 0x80 } ? escape(text) : "<bdi>" + escape(text) + "</bdi>"
    }

    static func tail(_ document: ExportDocument, listsEveryLine: Bool) -> String {
        var h = listsEveryLine ? "</tbody></table>\n</section>\n" : "</div>\n</section>\n"
        h += "<footer><p>Written by remedy from the plan bundle\(document.crossCheck.performed ? " and the database" : ""). Amounts in rupiah as written in Indonesia (Rp 1.900.000); the JSON and CSV exports carry the exact values. "
        h += "To file: the bundle directory (plan.json, plan.sha256, approvals/, runs/), this report, and the audit chain head above.</p></footer>\n"
        h += "<script>\(script)</script>\n</body>\n</html>\n"
        return h
    }

    /// A line's gateway mark in the Evidence cell (only when the plan was checked): confirmed when
    /// every top-up it names was, disagrees when any was contradicted or unknown.
    static func gatewayMark(_ line: ExportLine, _ gatewayVerdicts: [String: GatewayReferenceCheck.Verdict]?) -> String {
        guard let verdicts = gatewayVerdicts else { return "" }
        let mark = Plan.gatewayStatus(of: line.evidence.map(\.reference), in: verdicts)
        return "<br><span class=\"gateway\">\(escape(mark.rawValue))</span>"
    }

    static func yesNo(_ value: Bool?) -> String {
        switch value {
        case true?: "yes"
        case false?: "<strong>no</strong>"
        case nil: "not consulted"
        }
    }

    /// A bar chart as inline SVG. Pixel geometry is floating point; the values and their labels
    /// are the exact amounts, formatted before they reach the chart.
    static func barChart(_ bars: [(label: String, value: Int64, title: String)], tickUnit: Int64 = 1, valueText: (Int64) -> String, empty: String) -> String {
        guard !bars.isEmpty, let largest = bars.map(\.value).max(), largest > 0 else {
            return "<p>\(escape(empty))</p>\n"
        }
        let width = 560.0, height = 240.0
        let left = 86.0, right = 8.0, top = 12.0, bottom = 42.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let slot = plotWidth / Double(bars.count)
        let barWidth = max(1.0, slot * 0.78)
        let labelEvery = max(1, Int((Double(bars.count) * 34.0 / plotWidth).rounded(.up)))
        func fmt(_ value: Double) -> String { String(format: "%.1f", value) }

        var s = "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\">\n"
        let middle = largest / 2 - (largest / 2) % max(1, tickUnit)
        for tick in Set([0, middle, largest]).sorted() {
            let y = top + plotHeight * (1 - Double(tick) / Double(largest))
            s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(y))\" x2=\"\(fmt(width - right))\" y2=\"\(fmt(y))\" stroke=\"#ccc\" stroke-width=\"1\"/>"
            s += "<text x=\"\(fmt(left - 4))\" y=\"\(fmt(y + 3))\" text-anchor=\"end\">\(escape(valueText(tick)))</text>\n"
        }
        for (index, bar) in bars.enumerated() {
            let barHeight = plotHeight * Double(bar.value) / Double(largest)
            let x = left + slot * Double(index) + (slot - barWidth) / 2
            s += "<rect x=\"\(fmt(x))\" y=\"\(fmt(top + plotHeight - barHeight))\" width=\"\(fmt(barWidth))\" height=\"\(fmt(barHeight))\" fill=\"#2f5d8a\"><title>\(escape(bar.title))</title></rect>"
            if index % labelEvery == 0 {
                let lx = x + barWidth / 2, ly = top + plotHeight + 12
                s += "<text x=\"\(fmt(lx))\" y=\"\(fmt(ly))\" text-anchor=\"end\" transform=\"rotate(-40 \(fmt(lx)) \(fmt(ly)))\">\(escape(bar.label))</text>"
            }
            s += "\n"
        }
        s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(top + plotHeight))\" x2=\"\(fmt(width - right))\" y2=\"\(fmt(top + plotHeight))\" stroke=\"#222\" stroke-width=\"1\"/>\n"
        s += "</svg>\n"
        return s
    }
}
