import Crypto
import Foundation
import Rupiah
import Testing
import TestSupport
@testable import RemedyCore

/// CanonicalJSONReader is the one reader of signed documents, their lines and their headers, and
/// the only proof that they are in remedy's canonical form: whatever it accepts, the writer
/// (CanonicalJSONWriter, or CanonicalJSON.encode for a header) must write again byte for byte, and
/// what it refuses it must name at the first byte that differs.
@Suite("CanonicalJSONReader: remedy's canonical form and nothing else")
struct CanonicalJSONReaderTests {
    static let topUp = TopUpAttribution(
        transactionId: "tx-1", reference: "T4715REF", paidAt: "2026-03-01T10:00:00+07:00", amount: Money(rupiah: 10_000),
        amountReceived: Money(rupiah: 9_180), handlerRuns: 1, triggerRefires: 0,
        lostPurchases: [LostPurchaseCandidate(transactionId: "tx-9", completedAt: "2026-03-01T10:00:01+07:00", amount: Money(rupiah: 5_000), afterReference: "T4715REF")],
        contribution: Money(rupiah: 9_180))
    static let attribution = Decomposition(
        topUps: [topUp], purchases: [PurchaseAttribution(transactionId: "tx-7", status: "completed", amount: Money(minorUnits: -1), kind: .purchaseDeductedTwice, contribution: Money(minorUnits: 1))],
        total: Money(rupiah: 9_180), classification: [.handlerCredit, .purchaseDeductedTwice])

    static func adjustment(label: String = "Budi", contact: String? = "budi@example.com", revertsKey: String? = nil) -> AdjustmentLine {
        AdjustmentLine(userId: "u-1", label: label, contact: contact, balance: Money(rupiah: 19_180), ledger: Money(rupiah: 10_000),
                       openReceivables: .zero, excess: Money(rupiah: 9_180), delta: Money(rupiah: -9_180), receivable: .zero,
                       balanceAfter: Money(rupiah: 10_000), attribution: attribution, decompositions: 1, ambiguous: false,
                       precondition: Precondition(excess: Money(rupiah: 9_180)), idempotencyKey: "key-1", revertsKey: revertsKey)
    }

    static let held = HeldLine(userId: "u-2", label: "Sari", balance: Money(rupiah: 1), ledger: .zero, openReceivables: .zero, excess: Money(rupiah: 1),
                               reason: .unexplained, explanation: "no combination", closest: attribution,
                               acknowledged: Acknowledgement(by: "andi", at: "2026-03-02T00:00:00Z", reason: "known"))

    /// Each line type, written by the writer: the bytes the fuzzing starts from.
    static var lines: [(what: String, bytes: [UInt8], read: (UnsafeRawBufferPointer) -> Result<[UInt8], CanonicalJSONReader.Refusal>)] {
        func entry<Line: CanonicalJSONReadable & CanonicalJSONWritable>(_ what: String, _ line: Line) -> (String, [UInt8], (UnsafeRawBufferPointer) -> Result<[UInt8], CanonicalJSONReader.Refusal>) {
            (what, CanonicalJSONWriter.encodeBytes(line), { Line.readCanonical($0).map(CanonicalJSONWriter.encodeBytes) })
        }
        return [
            entry("adjustment", adjustment()), entry("adjustment without its optionals", adjustment(contact: nil)),
            entry("revert", adjustment(revertsKey: "key-0")), entry("hold", held),
            entry("settled", SettledLine(userId: "u-3", label: "Dewi", candidateTopUps: 2, note: "settled")),
            entry("gateway check", GatewayReferenceCheck(reference: "T1", userId: "u-1", transactionId: "tx-1", shopStatus: "completed", verdict: .disagrees,
                                                         reason: "amount differs", amountReceived: Money(rupiah: 9_180), sha256: String(repeating: "ab", count: 32))),
            entry("applied", ApplyReport.Applied(userId: "u-1", label: "Budi", balanceBefore: Money(rupiah: 19_180), balanceAfter: Money(rupiah: 10_000),
                                                 delta: Money(rupiah: -9_180), receivable: .zero)),
            entry("gateway answer", GatewayResponseRecord(format: "x", reference: "T1", url: "https://tripay.test/", httpStatus: 200,
                                                          fetchedAt: "2026-03-02T00:00:00Z", body: "{\"success\":true}")),
        ]
    }

    /// A fixed key, so that a failure replays.
    static let key = SigningKey(name: "andi", role: "engineering", privateKey: try! Curve25519.Signing.PrivateKey(rawRepresentation: Data(repeating: 7, count: 32)))
    static let database = DatabaseIdentity(installationId: "0f6c1e2a-5d4b-4c3a-9e8f-7a6b5c4d3e2f", databaseName: "shop", systemIdentifier: "7301234567890123456")

    /// A plan's header as the reader sees it (line arrays empty), every optional present or none.
    static func planHeader(optionals: Bool, format: String = Plan.currentFormat) -> Plan {
        var totals = PlanTotals()
        (totals.usersExamined, totals.adjustmentCount, totals.holdCount, totals.acknowledgedCount, totals.settledCount, totals.ambiguousCount) = (9, 3, 2, 1, 4, 0)
        (totals.overCreditFound, totals.toTakeBack, totals.toGiveBack, totals.owed) = (Money(rupiah: 27_540), Money(rupiah: 27_540), .zero, Money(minorUnits: 1))
        (totals.heldExcess, totals.heldShortfall, totals.wouldGoNegative) = (Money(rupiah: 9_180), Money(minorUnits: 50), .zero)
        let trigger = TriggerEvidence(table: "public.transactions", name: "credit_on_paid", definition: "CREATE TRIGGER credit_on_paid AFTER UPDATE",
                                      functionSource: "BEGIN\n\tUPDATE users SET balance = balance + NEW.amount; -- \"paid\"\nEND", enabled: true)
        let gatewayCheck = GatewayReferenceCheck(reference: "T1", userId: "u-1", transactionId: "tx-1", shopStatus: "completed", verdict: .confirmed,
                                                 reason: nil, amountReceived: nil, sha256: String(repeating: "cd", count: 32))
        return Plan(format: format, kind: optionals ? .revert : .correction, job: "tripay-double-credit", jobVersion: 3,
                    specDigest: String(repeating: "ab", count: 32),
                    parameters: optionals ? ["since": "2025-11-20T00:00:00+07:00", "until": "2025-12-02T12:00:00+07:00", "z_9": "x"] : [:],
                    database: optionals ? database : DatabaseIdentity(installationId: "i", databaseName: "d", systemIdentifier: nil),
                    snapshotAt: "2026-03-01T03:00:00.123456Z", expiresAt: "2026-03-04T03:00:00Z",
                    planner: Approver(name: key.name, role: key.role, publicKey: key.publicKey), quorum: optionals ? ["finance", "engineering"] : [],
                    negativeBalancePolicy: .clamp,
                    evidence: PlanEvidence(triggers: optionals ? [trigger] : [], triggerRefires: optionals, triggerRefiresReason: "re-fires on UPDATE",
                                           balanceCheckConstraints: optionals ? ["balance >= 0"] : []),
                    reverts: optionals ? String(repeating: "ef", count: 32) : nil, standingPolicy: optionals ? String(repeating: "01", count: 32) : nil,
                    adjustments: [], holds: [], settled: [], totals: totals, warnings: optionals ? ["users.contact is NULL for 3 users"] : [],
                    readReplica: optionals ? ReadReplicaPosition(server: "replica:5432/shop", replayLsn: "16/B374D848", lastReplayedCommitAt: "2026-03-01T02:59:59Z") : nil,
                    gateway: optionals ? GatewayCheck(checkedPlan: String(repeating: "12", count: 32), gateway: "https://tripay.test/", paidAtToleranceSeconds: 300,
                                                      references: format == Plan.formatV1 ? [gatewayCheck] : nil) : nil,
                    gatewayChecks: format == Plan.formatV1 ? nil : [])
    }

    static func runReport(signed: Bool) throws -> ApplyReport {
        var report = ApplyReport(runId: "7c0d6a4e-1b2f-4f3a-8d9e-0a1b2c3d4e5f", planDigest: String(repeating: "ab", count: 32), job: "tripay-double-credit",
                                 operatorName: "andi", approvers: ["budi", "sari"], startedAt: signed ? "2026-03-01T03:00:00Z" : nil,
                                 finishedAt: signed ? "2026-03-01T03:01:00Z" : nil)
        report.auditHead = String(repeating: "9a", count: 32)
        report.takenBack = Money(rupiah: 27_540)
        report.receivablesOpened = Money(minorUnits: 1)
        if signed {
            report.signedAuditHead = try SignedAuditHead.sign(hash: report.auditHead, seq: 4_096, database: database, signedAt: "2026-03-01T03:01:00Z", with: key)
        }
        return report
    }

    /// Each signed document's header (or whole document), as CanonicalJSON.encode writes it.
    static var documents: [(what: String, bytes: [UInt8], read: (UnsafeRawBufferPointer) -> Result<[UInt8], CanonicalJSONReader.Refusal>)] {
        get throws {
            func entry<Document: CanonicalJSONReadable & Encodable>(_ what: String, _ document: Document) throws -> (String, [UInt8], (UnsafeRawBufferPointer) -> Result<[UInt8], CanonicalJSONReader.Refusal>) {
                (what, [UInt8](try CanonicalJSON.encode(document)), { Document.readCanonical($0).map { [UInt8](try! CanonicalJSON.encode($0)) } })
            }
            func reportSkeleton(_ report: ApplyReport) -> [UInt8] {
                var writer = CanonicalJSONWriter()
                report.write(to: &writer) { _, writer in writer.raw(Array("[]".utf8)) }
                return writer.bytes
            }
            let digest = String(repeating: "ab", count: 32)
            return [
                try entry("plan header", planHeader(optionals: true)), try entry("plan header without its optionals", planHeader(optionals: false)),
                try entry("v1 plan header", planHeader(optionals: true, format: Plan.formatV1)),
                try entry("approval", ApprovalRecord(format: ApprovalRecord.currentFormat, planDigest: digest, name: "sari", role: "finance",
                                                     publicKey: key.publicKey, signature: Data(repeating: 3, count: 64).base64EncodedString(), signedAt: "2026-03-01T03:00:00Z")),
                try entry("planner signature", PlannerSignature(format: PlannerSignature.currentFormat, planDigest: digest, name: key.name, role: key.role,
                                                               publicKey: key.publicKey, signature: Data(repeating: 5, count: 64).base64EncodedString())),
                ("run report", reportSkeleton(try runReport(signed: true)), { ApplyReport.readCanonical($0).map(reportSkeleton) }),
                ("run report without its optionals", reportSkeleton(try runReport(signed: false)), { ApplyReport.readCanonical($0).map(reportSkeleton) }),
            ]
        }
    }

    @Test func readsWhatTheWriterWritesWithAwkwardText() throws {
        for text in AwkwardJSONText.all {
            let line = Self.adjustment(label: text, contact: text.isEmpty ? nil : text, revertsKey: text.isEmpty ? nil : text)
            let bytes = CanonicalJSONWriter.encodeBytes(line)
            #expect(bytes.withUnsafeBytes { AdjustmentLine.read($0) } == line, "\(text.debugDescription)")
        }
        for (what, bytes, read) in try Self.lines + Self.documents {
            #expect(try bytes.withUnsafeBytes(read).get() == bytes, "\(what)")
        }
    }

    /// The header as read holds what was written, not only its bytes.
    @Test func aPlanHeaderReadsAsTheValueWritten() throws {
        for plan in [Self.planHeader(optionals: true), Self.planHeader(optionals: false), Self.planHeader(optionals: true, format: Plan.formatV1)] {
            let read = try [UInt8](try CanonicalJSON.encode(plan)).withUnsafeBytes(Plan.readCanonical).get()
            #expect(read.parameters == plan.parameters && read.database == plan.database && read.planner == plan.planner && read.totals == plan.totals)
            #expect(read.readReplica == plan.readReplica && read.gateway == plan.gateway && read.gatewayChecks == plan.gatewayChecks && read.reverts == plan.reverts)
            #expect(read.evidence.triggers == plan.evidence.triggers && read.warnings == plan.warnings && read.kind == plan.kind)
        }
    }

    /// A plan's parameters are a map: its keys in the encoder's order, each once, each a name a
    /// job spec may declare.
    @Test(arguments: [
        (#"{"since":"a","until":"b"}"#, 0),
        (#"{"until":"b","since":"a"}"#, 13),
        (#"{"since":"a","since":"b"}"#, 13),
        (#"{"Since":"a"}"#, 1),
        (#"{"since\n":"a"}"#, 1),
        (#"{"a":"x","a_b":"y","ab":"z"}"#, 0),
        (#"{"ab":"z","a_b":"y"}"#, 10),
        (#"{}"#, 0),
    ] as [(String, Int)])
    func parameterKeysAreInOrderOnceAndNames(text: String, refusedAt: Int) {
        let result = Array(text.utf8).withUnsafeBytes { bytes in CanonicalJSONReader.read(bytes) { $0.stringMap(keys: SpecName.isParameter) } }
        switch result {
        case .success(let map):
            #expect(refusedAt == 0, "\(text) was read as \(map)")
            #expect([UInt8](try! CanonicalJSON.encode(map)) == Array(text.utf8), "\(text)")
        case .failure(let refusal): #expect(refusal.offset == refusedAt, "\(text)")
        }
    }

    /// Every single-byte edit of every line type and document header (each byte replaced by a set
    /// of bytes that matter to JSON, a byte inserted there, the byte removed): refused, or read as a
    /// value the writer writes as exactly the edited bytes (an amount's digit changed is still a line).
    @Test func everyEditIsRefusedOrIsCanonical() throws {
        let replacements = Array("\"\\{}[],:0179-.aenrtuxE \u{7f}".utf8) + [0x00, 0x0a, 0x1f, 0xc3, 0xe2, 0xed, 0xff]
        var accepted = 0, refused = 0
        for (what, original, read) in try Self.lines + Self.documents {
            // Each edit checked as it is made: the edits of a line are megabytes, and other suites
            // in this process measure its memory.
            func check(_ edited: [UInt8]) {
                switch edited.withUnsafeBytes(read) {
                case .success(let written):
                    accepted += 1
                    #expect(written == edited, "\(what): read \(String(decoding: edited, as: UTF8.self)) but writes \(String(decoding: written, as: UTF8.self))")
                case .failure(let refusal):
                    refused += 1
                    #expect(refusal.offset >= 0 && refusal.offset <= edited.count, "\(what)")
                }
            }
            for index in original.indices {
                for byte in replacements where byte != original[index] {
                    var edited = original
                    edited[index] = byte
                    check(edited)
                    edited = original
                    edited.insert(byte, at: index)
                    check(edited)
                }
                var removed = original
                removed.remove(at: index)
                check(removed)
            }
        }
        // Some edits are documents still (a digit of an amount, a letter of a name or a hash), most
        // are not.
        #expect(accepted > 0 && refused > accepted * 2, "accepted \(accepted), refused \(refused)")
    }

    /// What JSON readers accept and remedy never writes: refused, naming the first byte that differs.
    @Test(arguments: [
        // (what, the edit: target → replacement, where the refusal must point: the offset of `marker` in the edited text, plus `plus`)
        ("a key repeated", #"{"ambiguous":false"#, #"{"ambiguous":false,"ambiguous":false"#, #","ambiguous":false,"attr"#, 3),
        ("an unknown key", #"{"ambiguous""#, #"{"aaa":1,"ambiguous""#, #"aa":1"#, 0),
        ("a key left out", #""label":"Budi","ledger""#, #""ledger""#, #""ledger""#, 2),
        ("an optional written as null", #""contact":"budi@example.com""#, #""contact":null"#, #"null"#, 0),
        ("keys in another order", #""balance":"19180.00","balance_after":"10000.00""#, #""balance_after":"10000.00","balance":"19180.00""#, #"_after"#, 0),
        ("whitespace after a colon", #""delta":"#, #""delta": "#, #" "-9180"#, 0),
        ("an escaped letter", #""label":"Budi""#, #""label":"B\u0075di""#, #"\u0075"#, 0),
        ("an escaped solidus", #""label":"Budi""#, #""label":"Bu\/di""#, #"\/"#, 0),
        ("a control with a short name in \\u form", #""label":"Budi""#, #""label":"Bu\u000adi""#, #"\u000a"#, 0),
        ("upper-case hex", #""label":"Budi""#, #""label":"Bu\u001Fdi""#, #"\u001F"#, 0),
        ("an amount without its sen", #""delta":"-9180.00""#, #""delta":"-9180""#, #"-9180""#, 0),
        ("an amount with a plus", #""excess":"9180.00""#, #""excess":"+9180.00""#, #"+9180"#, 0),
        ("a number with a leading zero", #""decompositions":1"#, #""decompositions":01"#, #"01"#, 0),
        ("a negative zero", #""decompositions":1"#, #""decompositions":-0"#, #"-0"#, 0),
        ("an amount as a number", #""receivable":"0.00""#, #""receivable":0.00"#, #"0.00,"#, 0),
        ("an unknown kind", #""purchase_deducted_twice""#, #""purchase_deducted_twicE""#, #""purchase_deducted_twicE""#, 0),
        ("a trailing comma in an array", #""handler_credit","purchase_deducted_twice"]"#, #""handler_credit","purchase_deducted_twice",]"#, #"]"#, 0),
    ] as [(String, String, String, String, Int)])
    func refusedAtTheFirstByteThatDiffers(what: String, target: String, replacement: String, marker: String, plus: Int) throws {
        let text = String(decoding: CanonicalJSONWriter.encodeBytes(Self.adjustment()), as: UTF8.self)
        let range = try #require(text.range(of: target), "\(what): the edit does not apply")
        let edited = text.replacingCharacters(in: range, with: replacement)
        let markerAt = try #require(edited.range(of: marker, range: range.lowerBound..<edited.endIndex), "\(what): no marker")
        let expected = edited.utf8.distance(from: edited.startIndex, to: markerAt.lowerBound) + plus
        let result = Array(edited.utf8).withUnsafeBytes { AdjustmentLine.readCanonical($0) }
        #expect(throws: CanonicalJSONReader.Refusal(offset: expected), "\(what): \(edited)") { try result.get() }
    }

    @Test func invalidUTF8AndRawControlsAreRefused() {
        func read(_ bytes: [UInt8]) -> String? { bytes.withUnsafeBytes { bytes in try? CanonicalJSONReader.read(bytes) { $0.string() }.get() } }
        for bad in [[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0x0a], [0x00]] as [[UInt8]] {
            #expect(read(Array(#""a"#.utf8) + bad + Array(#"b""#.utf8)) == nil, "\(bad)")
            #expect(read(Array(#""a\\"#.utf8) + bad + Array(#"b""#.utf8)) == nil, "after an escape: \(bad)")
        }
        #expect(read(Array(#""é\\ 🙂""#.utf8)) == "é\\ 🙂")
    }

    @Test func integersAreSwiftsDecimalSpelling() {
        func read(_ text: String) -> Int? { Array(text.utf8).withUnsafeBytes { bytes in try? CanonicalJSONReader.read(bytes) { $0.int() }.get() } }
        for value in [0, 1, -1, 10, -10, Int.max, Int.min, 1_234_567] { #expect(read(String(value)) == value) }
        for text in ["", "-", "-0", "00", "01", "+1", "1.0", "1e2", "9223372036854775808", "-9223372036854775809", " 1"] { #expect(read(text) == nil, "\(text)") }
    }

    @Test func nestingIsBounded() {
        let deep = String(repeating: "[", count: CanonicalJSONReader.maxDepth + 1) + String(repeating: "]", count: CanonicalJSONReader.maxDepth + 1)
        func nested(_ reader: inout CanonicalJSONReader) -> Int? { reader.array(nested).map { _ in 0 } }
        #expect(Array(deep.utf8).withUnsafeBytes { bytes in try? CanonicalJSONReader.read(bytes, nested).get() } == nil)
        let shallow = "[[[]]]"
        #expect(Array(shallow.utf8).withUnsafeBytes { bytes in try? CanonicalJSONReader.read(bytes, nested).get() } == 0)
    }
}
