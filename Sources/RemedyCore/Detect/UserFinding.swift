import Foundation
import Postgres
import Rupiah

/// One user as the detect snapshot saw them: the books, and the evidence attribution needs.
public struct UserFinding: Sendable {
    public let userId: String
    public let label: String
    public let contact: String?
    public let balance: Money
    public let ledger: Money
    public let openReceivables: Money
    public let candidates: [CandidateTopUp]
    public let lostPurchases: [LostPurchaseCandidate]
    /// Completed rows of a crediting type with a negative amount: corrections people booked in
    /// the shop's ledger. They moved the balance and the ledger alike, so the excess hides them.
    public let ledgerCorrections: [LedgerCorrection]
    /// Purchases that may have been deducted without the ledger showing it (balance-drift only).
    public let purchases: [PurchaseCandidate]

    /// `balance − ledger − open receivables`: what the shop's own books cannot explain.
    public func excess() throws -> Money {
        try balance.subtracting(ledger).subtracting(openReceivables)
    }

    /// Reads a row of detect.sql: user_id, label, contact, balance, ledger, open_receivables,
    /// candidates (json), lost_purchases (json), ledger_corrections (json), and for balance-drift
    /// purchases (json). `decoder` is reused across rows (one per detect run): making one per row
    /// cost more than most rows' decoding.
    init(row: PostgresRow, decoder: JSONDecoder = UserFinding.makeDecoder()) throws {
        userId = try row.decode(0, as: String.self)
        label = try row.decode(1, as: String?.self) ?? ""
        contact = try row.decode(2, as: String?.self)
        balance = try row.decode(3, as: Money.self)
        ledger = try row.decode(4, as: Money.self)
        openReceivables = try row.decode(5, as: Money.self)
        let listed = try row.decode(6, as: String?.self).map { try decoder.decodeEvidence($0, CandidateTopUp.init(flat:)) } ?? []
        // The callback log's count per reference, where the job maps one.
        let logged = try row.columnCount > 10 ? row.decode(10, as: String?.self).map { try decoder.decodeEvidence($0, LoggedRuns.init(flat:)) } ?? [] : []
        if logged.isEmpty {
            candidates = listed
        } else {
            let runs = Dictionary(logged.map { ($0.reference, $0.runs) }, uniquingKeysWith: max)
            candidates = listed.map {
                CandidateTopUp(transactionId: $0.transactionId, reference: $0.reference, paidAt: $0.paidAt, amount: $0.amount,
                               amountReceived: $0.amountReceived, status: $0.status, loggedHandlerRuns: runs[$0.reference])
            }
        }
        // A purchase close to two top-ups is listed for each; it can only have been lost once,
        // after the latest top-up paid before it.
        let lost = try row.decode(7, as: String?.self).map { try decoder.decodeEvidence($0, LostPurchaseCandidate.init(flat:)) } ?? []
        let paidAt = Dictionary(candidates.map { ($0.reference, $0.paidAt) }, uniquingKeysWith: max)
        lostPurchases = Dictionary(grouping: lost, by: \.transactionId).values
            .compactMap { $0.max { (paidAt[$0.afterReference] ?? "") < (paidAt[$1.afterReference] ?? "") } }
            .sorted { ($0.completedAt, $0.transactionId) < ($1.completedAt, $1.transactionId) }
        ledgerCorrections = try row.decode(8, as: String?.self).map { try decoder.decodeEvidence($0, LedgerCorrection.init(flat:)) } ?? []
        purchases = try row.columnCount > 9 ? row.decode(9, as: String?.self).map { try decoder.decodeEvidence($0, PurchaseCandidate.init(flat:)) } ?? [] : []
    }
}

extension UserFinding {
    static func makeDecoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }
}

/// How many handled deliveries the callback log holds for one reference.
struct LoggedRuns: Sendable, Decodable, Equatable {
    let reference: String
    let runs: Int

    init(reference: String, runs: Int) {
        self.reference = reference
        self.runs = runs
    }

    init?(flat object: FlatJSONArray.Object) {
        guard let reference = object.value("reference"), let runs = object.value("runs").flatMap(Int.init) else { return nil }
        self.init(reference: reference, runs: runs)
    }

    private enum CodingKeys: String, CodingKey { case reference, runs }

    /// json_build_object's text: the count arrives as a string.
    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        reference = try container.decode(String.self, forKey: .reference)
        let text = try container.decode(String.self, forKey: .runs)
        guard let runs = Int(text) else {
            throw DecodingError.dataCorruptedError(forKey: .runs, in: container, debugDescription: "runs \"\(text)\" is not a count")
        }
        self.runs = runs
    }
}

public struct LedgerCorrection: Sendable, Codable, Equatable {
    public let transactionId: String
    public let type: String
    public let amount: Money
}
