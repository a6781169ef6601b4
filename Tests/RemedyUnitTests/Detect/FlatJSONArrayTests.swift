import Foundation
import Rupiah
import Testing
@testable import RemedyCore

/// The fast evidence reader must read what JSONDecoder reads, and leave anything else to it.
@Suite("Detect's evidence JSON: the fast reader agrees with JSONDecoder")
struct FlatJSONArrayTests {
    let decoder = UserFinding.makeDecoder()

    static let readable = [
        #"[]"#, #" [ ] "#,
        #"[{"amount": "10000.00", "status": "completed", "paid_at": "2025-11-20T01:02:03.000000Z", "reference": "T1", "amount_received": "9180.00", "transaction_id": "a"}]"#,
        #"[{"transaction_id":"x","reference":"R\"q\\b\/s","paid_at":"p","amount":"-1.5","amount_received":"0","status":"s\b\f\n\r\t\u0001\u001F"}]"#,
        // json_agg's layout, as detect.sql sends it now.
        "[{\"transaction_id\" : \"t\", \"reference\" : \"r\", \"paid_at\" : \"p\", \"amount\" : \"1.00\", \"amount_received\" : \"2\", \"status\" : \"s\"}, \n {\"transaction_id\" : \"u\", \"reference\" : \"q\", \"paid_at\" : \"p\", \"amount\" : \"3\", \"amount_received\" : \"4\", \"status\" : \"s\"}]",
        #"[{"transaction_id": "é 漢字 \u00e9 \ud83d\ude42 🙂", "reference": "", "paid_at": "", "amount": "1", "amount_received": "2", "status": "", "extra": "ignored"}, {"amount": "3", "amount_received": "4", "paid_at": "b", "reference": "c", "status": "d", "transaction_id": "e"}]"#,
    ]

    /// JSONDecoder decides these (or refuses them) itself.
    static let leftToJSONDecoder = [
        #"[{"amount": 10000, "status": "completed", "paid_at": "p", "reference": "r", "amount_received": "1", "transaction_id": "t"}]"#,
        #"[{"amount": null, "status": "completed", "paid_at": "p", "reference": "r", "amount_received": "1", "transaction_id": "t"}]"#,
        #"[{"amount": "1", "amount": "2", "status": "completed", "paid_at": "p", "reference": "r", "amount_received": "1", "transaction_id": "t"}]"#,
        #"[{"amount": "1.234", "status": "s", "paid_at": "p", "reference": "r", "amount_received": "1", "transaction_id": "t"}]"#,
        #"[{"amount": "1", "status": "s", "paid_at": "p", "reference": "r", "amount_received": "1"}]"#,
        #"[{"amount": "1", "status": "s", "paid_at": "p", "reference": {"x": "y"}, "amount_received": "1", "transaction_id": "t"}]"#,
        #"[{"amount": "1", "status": "\ud800", "paid_at": "p", "reference": "r", "amount_received": "1", "transaction_id": "t"}]"#,
        #"[{"amount": "1", "status": "s", "paid_at": "p", "reference": "r", "amount_received": "1", "transaction_id": "t"},]"#,
        #"[{"amount": "1"} "#, #"{}"#, #"[1]"#, #"[{"amount": "1", "status": "s\q"}]"#, "",
    ]

    @Test func readableEvidenceGivesWhatJSONDecoderGives() throws {
        for text in Self.readable {
            #expect(FlatJSONArray.parse(text) != nil, "\(text)")
            let fast = try decoder.decodeEvidence(text, CandidateTopUp.init(flat:))
            let slow = try decoder.decode([CandidateTopUp].self, from: Data(text.utf8))
            #expect(fast == slow, "\(text)")
        }
    }

    @Test func anythingElseIsDecidedByJSONDecoder() throws {
        for text in Self.leftToJSONDecoder {
            let fast = Result { try decoder.decodeEvidence(text, CandidateTopUp.init(flat:)) }
            let slow = Result { try decoder.decode([CandidateTopUp].self, from: Data(text.utf8)) }
            switch (fast, slow) {
            case (.success(let a), .success(let b)): #expect(a == b, "\(text)")
            case (.failure(let a), .failure(let b)): #expect("\(a)" == "\(b)", "\(text)")
            default: Issue.record("fast and JSONDecoder disagree on \(text): \(fast) vs \(slow)")
            }
        }
    }

    @Test func theOtherEvidenceTypes() throws {
        let lost = #"[{"amount": "50000.00", "completed_at": "2025-11-21T00:00:30.000000Z", "transaction_id": "p1", "after_reference": "T9"}]"#
        #expect(try decoder.decodeEvidence(lost, LostPurchaseCandidate.init(flat:)) == decoder.decode([LostPurchaseCandidate].self, from: Data(lost.utf8)))
        let corrections = #"[{"type": "refund", "amount": "-9180.00", "transaction_id": "c1"}, {"type": "topup", "amount": "-1.00", "transaction_id": "c2"}]"#
        #expect(try decoder.decodeEvidence(corrections, LedgerCorrection.init(flat:)) == decoder.decode([LedgerCorrection].self, from: Data(corrections.utf8)))
        let purchases = #"[{"amount": "100000.00", "status": "failed", "created_at": "2025-11-19T05:49:18.000000Z", "transaction_id": "q"}]"#
        #expect(try decoder.decodeEvidence(purchases, PurchaseCandidate.init(flat:)) == decoder.decode([PurchaseCandidate].self, from: Data(purchases.utf8)))
    }
}
