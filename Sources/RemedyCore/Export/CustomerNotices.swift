import Foundation
import Rupiah

/// `--notices`: one notice per customer whose balance this plan moved (after apply: applied
/// lines; before: planned lines), with a plain sentence in Indonesian and in English.
public struct CustomerNotice: Codable, Sendable, Equatable {
    public var userId: String
    public var label: String
    public var contact: String?
    public var outcome: LineOutcome
    /// Taken back (a correction) or given back (a revert), as a positive exact amount.
    public var amount: Money
    public var amountRupiah: String
    /// What stays owed after a clamp (zero otherwise).
    public var owed: Money
    public var references: [String]
    public var messageId: String
    public var messageEn: String
}

public struct CustomerNotices: Codable, Sendable {
    public static let currentFormat = "remedy-notices/v1"
    public var format: String
    public var planDigest: String
    public var phase: ExportPhase
    public var generatedAt: String
    public var notices: [CustomerNotice]

    public static let csvColumns = [
        "user_id", "label", "contact", "outcome", "amount", "amount_rupiah", "owed", "references", "message_id", "message_en",
    ]

    fileprivate init(format: String, planDigest: String, phase: ExportPhase, generatedAt: String, notices: [CustomerNotice]) {
        self.format = format
        self.planDigest = planDigest
        self.phase = phase
        self.generatedAt = generatedAt
        self.notices = notices
    }

    /// Every notice in memory, from a document holding its lines (tests, the demo's small shops);
    /// `export --notices` writes them as the lines come (`Maker`, `CSVStream`, `JSONStream`).
    public init(_ document: ExportDocument) throws {
        let maker = try Maker(document)
        self.init(format: CustomerNotices.currentFormat, planDigest: document.plan.digest, phase: document.phase,
                  generatedAt: document.generatedAt, notices: try document.lines.compactMap { try maker.notice($0) })
    }

    /// Makes the notice of one line, if the line moved a customer's balance.
    public struct Maker {
        private let isRevert: Bool

        public init(_ document: ExportDocument) throws {
            guard !document.redacted else {
                throw RemedyError(.badInput, "customer notices are for contacting customers, and --redact removes their names and contacts; export notices without --redact")
            }
            isRevert = document.plan.kind == .revert
        }

        public func notice(_ line: ExportLine) throws -> CustomerNotice? {
            guard line.section == .adjustment, line.outcome == .applied || line.outcome == .planned, !line.delta.isZero else { return nil }
            let amount = line.delta.isNegative ? try line.delta.negated() : line.delta
            let references = line.evidence.map(\.reference)
            let done = line.outcome == .applied
            return CustomerNotice(
                userId: line.userId, label: line.label, contact: line.contact, outcome: line.outcome, amount: amount,
                amountRupiah: amount.unsignedRupiah, owed: line.receivable.isPositive ? line.receivable : .zero, references: references,
                messageId: isRevert ? CustomerNotices.revertId(amount, done: done) : CustomerNotices.correctionId(amount, line, references, done: done),
                messageEn: isRevert ? CustomerNotices.revertEn(amount, done: done) : CustomerNotices.correctionEn(amount, line, references, done: done))
        }
    }

    static func lostPurchases(_ line: ExportLine) -> [Money] {
        line.evidence.flatMap { $0.lostPurchases.map(\.amount) }
    }

    static func correctionId(_ amount: Money, _ line: ExportLine, _ references: [String], done: Bool) -> String {
        var text = "Saldo Anda \(done ? "telah kami kurangi" : "akan kami kurangi") sebesar \(amount.unsignedRupiah) karena gangguan pada sistem pembayaran kami menambahkan saldo dua kali untuk top-up Tripay Anda"
        if !references.isEmpty { text += " (referensi \(references.joined(separator: ", ")))" }
        let lost = lostPurchases(line)
        if !lost.isEmpty { text += ", dan pembelian sebesar \(lost.map(\.unsignedRupiah).joined(separator: " dan ")) belum terpotong dari saldo" }
        text += "."
        if line.receivable.isPositive { text += " Sisa \(line.receivable.unsignedRupiah) masih tercatat sebagai utang." }
        text += " Saldo Anda \(done ? "kini sesuai" : "akan sesuai") dengan riwayat transaksi Anda."
        return text
    }

    static func correctionEn(_ amount: Money, _ line: ExportLine, _ references: [String], done: Bool) -> String {
        var text = "We \(done ? "reduced" : "will reduce") your balance by \(amount.unsignedRupiah) because a fault in our payment system credited your Tripay top-up twice"
        if !references.isEmpty { text += " (reference \(references.joined(separator: ", ")))" }
        let lost = lostPurchases(line)
        if !lost.isEmpty { text += ", and a purchase of \(lost.map(\.unsignedRupiah).joined(separator: " and ")) was not deducted" }
        text += "."
        if line.receivable.isPositive { text += " \(line.receivable.unsignedRupiah) remains owed." }
        text += " Your balance \(done ? "now matches" : "will then match") your transaction history."
        return text
    }

    static func revertId(_ amount: Money, done: Bool) -> String {
        "Saldo Anda \(done ? "telah kami kembalikan" : "akan kami kembalikan") sebesar \(amount.unsignedRupiah) karena koreksi sebelumnya dibatalkan."
    }

    static func revertEn(_ amount: Money, done: Bool) -> String {
        "We \(done ? "restored" : "will restore") \(amount.unsignedRupiah) to your balance because an earlier correction was reversed."
    }

    public func csv(dialect: CSVDialect) -> Data {
        var stream = CSVStream(dialect: dialect)
        var text = stream.header()
        for notice in notices { text += stream.record(notice) }
        return Data(text.utf8)
    }

    public func json() throws -> Data {
        var data = try CanonicalJSON.encode(self)
        data.append(0x0A)
        return data
    }

    /// The CSV a record at a time: `header()`, then `record(_:)` for each notice, as `csv` writes it.
    public struct CSVStream {
        private var writer: CSVWriter

        public init(dialect: CSVDialect) {
            writer = CSVWriter(dialect: dialect)
        }

        public mutating func header() -> String {
            writer.record(CustomerNotices.csvColumns.map { .text($0) })
            return writer.take()
        }

        public mutating func record(_ notice: CustomerNotice) -> String {
            writer.record([
                .text(notice.userId), .text(notice.label), .text(notice.contact ?? ""), .text(notice.outcome.rawValue),
                .amount(notice.amount), .text(notice.amountRupiah), .amount(notice.owed), .text(notice.references.joined(separator: " ")),
                .text(notice.messageId), .text(notice.messageEn),
            ])
            return writer.take()
        }
    }

    /// The JSON a notice at a time, byte for byte what `json()` writes: the document's bytes around
    /// its notices (which sit between `generated_at` and `phase`: keys are sorted), then each notice
    /// (CanonicalJSONSplice).
    public struct JSONStream {
        private var splice: CanonicalJSONSplice<CustomerNotice>
        public var prefix: Data { splice.prefix }
        public var suffix: Data { splice.suffix }

        public init(_ document: ExportDocument) throws {
            let empty = CustomerNotices(format: CustomerNotices.currentFormat, planDigest: document.plan.digest, phase: document.phase,
                                        generatedAt: document.generatedAt, notices: [])
            splice = try CanonicalJSONSplice(empty, arrayKey: "notices", nextKey: "phase", unplaceable: "the notices cannot be placed in their document")
        }

        /// One notice's bytes, with the comma before every notice but the first.
        public mutating func record(_ notice: CustomerNotice) -> Data { splice.record(notice) }
    }
}
