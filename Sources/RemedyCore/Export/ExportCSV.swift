import Foundation
import Rupiah

/// The per-user CSV: one record per plan line (adjustments, then holds, then settled users).
/// Columns are documented in runbooks/finance-signoff.md; their order and names are stable.
/// Totals are not rows: Σ delta is the net movement (−taken back), Σ receivable is owed.
public enum ExportCSV {
    public static let columns = [
        "user_id", "label", "contact", "section", "outcome", "reason_code", "reason",
        "balance", "ledger", "open_receivables", "excess", "planned_delta", "delta", "receivable",
        "balance_before", "balance_after", "current_excess", "amount_rupiah",
        "evidence", "decompositions", "run_id", "booked_by_plan", "idempotency_key", "run_signed_audit_head", "plan_warnings",
    ]

    /// The columns holding exact amounts (numbers, never given the apostrophe).
    public static let amountColumns: Set<String> = [
        "balance", "ledger", "open_receivables", "excess", "planned_delta", "delta", "receivable",
        "balance_before", "balance_after", "current_excess",
    ]

    /// The whole CSV in memory (tests, small exports); `ExportCSV.Stream` writes it as lines come.
    public static func render(_ document: ExportDocument, dialect: CSVDialect) -> Data {
        var stream = Stream(document, dialect: dialect)
        var text = stream.header()
        for line in document.lines { text += stream.record(line) }
        return Data(text.utf8)
    }

    /// The CSV a record at a time: `header()`, then `record(_:)` for each line in order.
    public struct Stream {
        private var writer: CSVWriter
        /// Each run's signed final head, written once, on the first line that names the run.
        private var signedHeads: [String: String] = [:]
        /// The plan's warnings, on the first record only.
        private var warnings: String

        public init(_ document: ExportDocument, dialect: CSVDialect) {
            writer = CSVWriter(dialect: dialect)
            for run in document.runs {
                if let head = run.signedAuditHead, let json = try? CanonicalJSON.encode(head) { signedHeads[run.runId] = String(decoding: json, as: UTF8.self) }
            }
            warnings = document.plan.warnings.joined(separator: "\n")
        }

        public mutating func header() -> String {
            writer.record(columns.map { .text($0) })
            return writer.take()
        }

        public mutating func record(_ line: ExportLine) -> String {
            let signedHead = line.runId.flatMap { signedHeads.removeValue(forKey: $0) } ?? ""
            writer.record([
                .text(line.userId), .text(line.label), .text(line.contact ?? ""), .text(line.section.rawValue),
                .text(line.outcome.rawValue), .text(line.reasonCode), .text(line.reason),
                .amount(line.balance), .amount(line.ledger), .amount(line.openReceivables), .amount(line.excess),
                .amount(line.plannedDelta), .amount(line.delta), .amount(line.receivable),
                .amount(line.balanceBefore), .amount(line.balanceAfter), .amount(line.currentExcess),
                .text(line.delta.unsignedRupiah),
                .text(line.evidenceText), .integer(line.decompositions), .text(line.runId ?? ""),
                .text(line.bookedByPlan ?? ""), .text(line.idempotencyKey ?? ""), .text(signedHead), .text(warnings),
            ])
            warnings = ""
            return writer.take()
        }
    }
}

/// The JSON export: the whole document, canonical (sorted keys, snake_case, amounts as exact
/// strings), exactly as `CanonicalJSON.encode(document)` writes it, made without holding its lines.
public enum ExportJSON {
    /// The whole JSON in memory (tests, small exports).
    public static func render(_ document: ExportDocument) throws -> Data {
        var data = try CanonicalJSON.encode(document)
        data.append(0x0A)
        return data
    }

    /// The document's bytes around its lines (between `generated_at` and `phase`: keys are
    /// sorted), then the lines one at a time (CanonicalJSONSplice).
    public struct Stream {
        private var splice: CanonicalJSONSplice<ExportLine>
        /// What comes before the first line.
        public var prefix: Data { splice.prefix }
        /// What comes after the last line.
        public var suffix: Data { splice.suffix }

        /// `document` without its lines.
        public init(_ document: ExportDocument) throws {
            precondition(document.lines.isEmpty, "the lines are written one at a time")
            splice = try CanonicalJSONSplice(document, arrayKey: "lines", nextKey: "phase", unplaceable: "the export document's lines cannot be placed")
        }

        /// One line's bytes, with the comma before every line but the first.
        public mutating func record(_ line: ExportLine) -> Data { splice.record(line) }
    }
}
