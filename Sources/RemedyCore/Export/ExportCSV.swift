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
        "evidence", "decompositions", "run_id", "booked_by_plan", "idempotency_key", "run_signed_audit_head",
    ]

    /// The columns holding exact amounts (numbers, never given the apostrophe).
    public static let amountColumns: Set<String> = [
        "balance", "ledger", "open_receivables", "excess", "planned_delta", "delta", "receivable",
        "balance_before", "balance_after", "current_excess",
    ]

    public static func render(_ document: ExportDocument, dialect: CSVDialect) -> Data {
        var writer = CSVWriter(dialect: dialect)
        writer.record(columns.map { .text($0) })
        // Each run's signed final head once, on the first line that names the run.
        var signedHeads: [String: String] = [:]
        for run in document.runs {
            if let head = run.signedAuditHead, let json = try? CanonicalJSON.encode(head) { signedHeads[run.runId] = String(decoding: json, as: UTF8.self) }
        }
        for line in document.lines {
            let signedHead = line.runId.flatMap { signedHeads.removeValue(forKey: $0) } ?? ""
            writer.record([
                .text(line.userId), .text(line.label), .text(line.contact ?? ""), .text(line.section.rawValue),
                .text(line.outcome.rawValue), .text(line.reasonCode), .text(line.reason),
                .amount(line.balance), .amount(line.ledger), .amount(line.openReceivables), .amount(line.excess),
                .amount(line.plannedDelta), .amount(line.delta), .amount(line.receivable),
                .amount(line.balanceBefore), .amount(line.balanceAfter), .amount(line.currentExcess),
                .text(line.delta.unsignedRupiah),
                .text(line.evidenceText), .integer(line.decompositions), .text(line.runId ?? ""),
                .text(line.bookedByPlan ?? ""), .text(line.idempotencyKey ?? ""), .text(signedHead),
            ])
        }
        return writer.data
    }
}

/// The JSON export: the whole document, canonical (sorted keys, snake_case, amounts as exact strings).
public enum ExportJSON {
    public static func render(_ document: ExportDocument) throws -> Data {
        var data = try CanonicalJSON.encode(document)
        data.append(0x0A)
        return data
    }
}
