import ArgumentParser
import Foundation
import Postgres
import RemedyCore

enum ExportFormat: String, ExpressibleByArgument, CaseIterable {
    case csv, json, html
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Finance's copy of a plan: the proposal before apply, what was done after; CSV, JSON or a self-contained HTML report.",
        discussion: """
        Reads the bundle (plan.json checked against its digest, approvals/, runs/). When a database \
        is configured (--database-url, DATABASE_URL or libpq's PG* variables) the lines and totals \
        are cross-checked with remedy's book there, and the audit chain head is read; otherwise, \
        or with --offline, the export is made from the bundle alone and says so. \
        Exits 4 if the cross-check finds a discrepancy (the export is still written). \
        With --read-url (or REMEDY_READ_URL) the cross-check reads that read replica, a hot standby of \
        --database-url's database (the primary is only asked which cluster and database it is); a replica \
        that lags behind a run shows it as a discrepancy. \
        With --out and --json, stdout carries one JSON document about the file written (file, \
        bytes, discrepancies…); without --out the export itself is stdout, so --json there needs \
        --format json (the export is then the one JSON document). \
        With --format html and --out FILE.html, every line is also written as CSV beside the page \
        (FILE.csv), which the page links: above 2,000 lines the page shows the totals, the charts, \
        the largest corrections, a sample of each outcome and every held user (one text line each). \
        The export is written as it is made, in two passes over the plan, at any plan size. \
        CSV columns and the apostrophe rule: runbooks/finance-signoff.md.
        """)

    @Argument(help: "The plan bundle directory.", completion: Completion.bundle) var plan: String
    @Option(help: "csv, json or html.") var format: ExportFormat
    @Option(help: ArgumentHelp("Write to this file (default: standard output).", valueName: "FILE"), completion: .file()) var out: String?
    @Flag(help: "CSV for Excel in an Indonesian locale: UTF-8 BOM, ';' separator, amounts with a decimal comma.") var excel = false
    @Flag(help: "For exports that leave finance: no customer names or contacts; user ids become pseudonyms keyed with the installation's secret redaction key (from the database, or --redaction-key).") var redact = false
    @Option(help: ArgumentHelp("With --redact and no database: a file of at least 32 secret random bytes to key the pseudonyms with (e.g. `head -c 32 /dev/urandom > FILE`, mode 0600); it wins over the database's key.", valueName: "FILE"), completion: .file())
    var redactionKey: String?
    @Flag(help: "Customer notices (csv or json): who, contact, amount taken back, and why, in Indonesian and English.") var notices = false
    @Flag(help: "Do not consult the database even if one is configured: export from the bundle alone.") var offline = false
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var replica: ReadReplicaOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if excel, format != .csv { throw ValidationError("--excel applies to --format csv") }
        if notices, format == .html { throw ValidationError("--notices is written as csv or json") }
        if redactionKey != nil, !redact { throw ValidationError("--redaction-key applies to --redact") }
        if output.json, out == nil, format != .json {
            throw ValidationError("--json without --out needs --format json: the export itself is then the one JSON document on stdout (or write it with --out FILE and get a JSON summary)")
        }
        if offline, replica.readURL != nil { throw ValidationError("--offline consults no database: leave out --read-url, or --offline") }
        if notices, redact { throw ValidationError("--notices are for contacting customers and --redact removes their contacts: use one or the other") }
    }

    func run() throws {
        var clean = true
        try Terminal.run {
            let streamed = try PlanBundle.readStreaming(plan, keepingHoldsAndSettled: true, gatewayChecks: .verdicts, logger: Terminal.logger)
            let builder: ExportBuilder
            if offline {
                builder = ExportBuilder(streamed: streamed, connection: nil, offlineReason: "--offline was given")
            } else if let source = database.configuredSource {
                let connection: PostgresConnection
                do { connection = try database.connect() } catch let error as PostgresError where error.kind == .connection {
                    throw RemedyError(.io, "cannot reach the database configured by \(source) to cross-check the export: \(error.message); fix the connection, or export from the bundle alone with --offline (the export then says it was not cross-checked)")
                }
                // With a replica the cross-check reads there; the primary only confirms it.
                let readReplica = try replica.connect(confirmingWith: connection)
                Terminal.progress("export: cross-checking with the database from \(source)\(readReplica.map { ", read on the replica \($0.server)" } ?? "")")
                var crossChecked = ExportBuilder(streamed: streamed, connection: readReplica?.connection ?? connection)
                crossChecked.readReplica = readReplica
                builder = crossChecked
            } else if replica.url != nil {
                throw RemedyError(.badInput, "\(replica.source) names a read replica but no primary is configured: give --database-url (or DATABASE_URL) too, which the replica is confirmed against, or export from the bundle alone with --offline")
            } else {
                builder = ExportBuilder(streamed: streamed, connection: nil,
                                        offlineReason: "no database configured: no --database-url, DATABASE_URL or PG* variables")
            }
            let dialect: CSVDialect = excel ? .excel : .standard
            // The HTML page holds part of a large plan's lines: the complete list goes beside it, as CSV.
            let besidePath = format == .html && !notices ? out.map(ExportCommand.csvBeside) : nil
            let sink = try out.map { try ExportSink.file($0) } ?? .stream(wholeLines: format != .json && isatty(STDOUT_FILENO) != 0) {
                Terminal.writeExport($0, json: format == .json)
            }
            let beside = try besidePath.map { try ExportSink.file($0) }
            let document = try builder.export(redaction: try redaction(connection: builder.connection)) { document, highlights, lines in
                switch (format, notices) {
                case (.csv, false):
                    var stream = ExportCSV.Stream(document, dialect: dialect)
                    try sink.write(stream.header())
                    try lines.forEach { try sink.write(stream.record($0)) }
                case (.csv, true):
                    let maker = try CustomerNotices.Maker(document)
                    var stream = CustomerNotices.CSVStream(dialect: dialect)
                    try sink.write(stream.header())
                    try lines.forEach { line in
                        if let notice = try maker.notice(line) { try sink.write(stream.record(notice)) }
                    }
                case (.json, false):
                    var stream = try ExportJSON.Stream(document)
                    try sink.write(stream.prefix)
                    try lines.forEach { try sink.write(stream.record($0)) }
                    try sink.write(stream.suffix)
                case (.json, true):
                    let maker = try CustomerNotices.Maker(document)
                    var stream = try CustomerNotices.JSONStream(document)
                    try sink.write(stream.prefix)
                    try lines.forEach { line in
                        if let notice = try maker.notice(line) { try sink.write(stream.record(notice)) }
                    }
                    try sink.write(stream.suffix)
                case (.html, _):
                    var page = HTMLReport.Stream(document, highlights: highlights, completeList: besidePath.map { URL(fileURLWithPath: $0).lastPathComponent })
                    var csv = ExportCSV.Stream(document, dialect: dialect)
                    try sink.write(page.head())
                    try beside?.write(csv.header())
                    try lines.forEach { line in
                        try sink.write(page.record(line))
                        try beside?.write(csv.record(line))
                    }
                    try sink.write(page.tail())
                }
                try beside?.finish()
                try sink.finish()
                return document
            }

            var summary: [String] = []
            summary.append("\(document.phase == .outcome ? "what was done" : "proposal"): plan \(document.plan.digest) (\(document.plan.job))")
            summary.append(document.crossCheck.statement)
            for row in document.totals.rows(kind: document.plan.kind) {
                summary.append("  \(row.label.padding(toLength: 52, withPad: " ", startingAt: 0)) \(row.value)")
            }
            if let head = document.auditChainHead { summary.append("audit chain head \(head.hash) (\(head.source))") }
            for item in document.crossCheck.discrepancies.prefix(20) {
                summary.append("DISCREPANCY \(item.userId.map { "\($0): " } ?? "")\(item.message)")
            }
            if document.crossCheck.discrepancies.count > 20 { summary.append("… \(document.crossCheck.discrepancies.count - 20) more discrepancies in the export") }
            clean = document.crossCheck.discrepancies.isEmpty

            if let out {
                if output.json {
                    try Terminal.printJSON(ExportOutput(
                        file: out, bytes: sink.bytes, format: format.rawValue, notices: notices, phase: document.phase == .outcome ? "outcome" : "proposal",
                        planDigest: document.plan.digest, job: document.plan.job, crossCheck: document.crossCheck.statement,
                        auditChainHead: document.auditChainHead?.hash, discrepancies: document.crossCheck.discrepancies.count,
                        completeList: besidePath, completeListBytes: beside?.bytes))
                    return
                }
                summary.forEach { Terminal.print($0) }
                Terminal.print("wrote \(sink.bytes) bytes to \(out)")
                if let besidePath, let beside { Terminal.print("wrote \(beside.bytes) bytes to \(besidePath) (every line, CSV; the page links it)") }
            } else {
                summary.forEach { Terminal.progress($0) }
            }
        }
        if !clean { throw ExitStatus.verificationFailed.exitCode }
    }

    /// The CSV written beside an HTML report: the same name with `.csv` for `.html`/`.htm`, else `.csv` appended.
    static func csvBeside(_ html: String) -> String {
        let url = URL(fileURLWithPath: html)
        let ext = url.pathExtension.lowercased()
        return (ext == "html" || ext == "htm" ? url.deletingPathExtension() : url).appendingPathExtension("csv").path
    }

    /// The key --redact needs: the file given, else the database's; never the plan's digest or
    /// anything else the export shows.
    private func redaction(connection: PostgresConnection?) throws -> RedactionKey? {
        guard redact else { return nil }
        if let redactionKey { return try RedactionKey.load(path: redactionKey) }
        if let connection { return try RedactionKey.read(from: connection) }
        throw RemedyError(.badInput, "--redact needs a secret to key the pseudonyms with: configure the database (--database-url; not --offline) to use this installation's, or pass --redaction-key FILE")
    }
}

/// `export --out FILE --json`: what was written, and whether it agrees with remedy's book.
struct ExportOutput: Encodable {
    let file: String
    let bytes: Int
    let format: String
    let notices: Bool
    /// "proposal" before apply, "outcome" after.
    let phase: String
    let planDigest: String
    let job: String
    /// Whether and against what the export was cross-checked, as the text says it.
    let crossCheck: String
    let auditChainHead: String?
    let discrepancies: Int
    /// With --format html: the CSV of every line written beside the page, and its size.
    let completeList: String?
    let completeListBytes: Int?
}
