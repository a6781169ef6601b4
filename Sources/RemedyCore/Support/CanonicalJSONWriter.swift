import Foundation
import Rupiah

/// The bytes `CanonicalJSON.encode` gives, written directly for the few types a plan holds by the
/// hundred thousand (its lines and their evidence), at a fraction of JSONEncoder's cost.
///
/// What CanonicalJSON's JSONEncoder does, and this matches (CanonicalJSONWriterTests compare the
/// two on every line of simulated plans and on awkward text): keys in snake_case, sorted by their
/// UTF-8 bytes; nil optionals left out; no whitespace; `"` `\` escaped, `\b \t \n \f \r` by name,
/// other controls as `\u00xx` (lowercase hex), everything else (`/`, DEL, non-ASCII) as is;
/// integers in decimal; amounts as exact strings.
struct CanonicalJSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 1_024) {
        bytes.reserveCapacity(capacity)
    }

    static func encode<Value: CanonicalJSONWritable>(_ value: Value) -> Data {
        var writer = CanonicalJSONWriter()
        value.write(to: &writer)
        return Data(writer.bytes)
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
    }

    /// Hands what has been written so far to `sink` and forgets it (a long document is written to
    /// a file in pieces, in order).
    mutating func drain(into sink: ([UInt8]) -> Void) {
        guard !bytes.isEmpty else { return }
        sink(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    /// A separator between values written one after another.
    mutating func comma() {
        bytes.append(UInt8(ascii: ","))
    }

    // MARK: values

    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0x0a: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0c: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
            case 0x0d: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x00..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0f)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func money(_ amount: Money) { string(amount.exactText) }

    /// A value this writer wrote before (its canonical bytes), written again as is.
    mutating func raw(_ canonical: [UInt8]) { bytes.append(contentsOf: canonical) }

    mutating func int(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }

    mutating func bool(_ value: Bool) { bytes.append(contentsOf: (value ? "true" : "false").utf8) }

    mutating func array<Element>(_ elements: [Element], _ write: (inout CanonicalJSONWriter, Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            write(&self, element)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func array<Element: CanonicalJSONWritable>(_ elements: [Element]) {
        array(elements) { writer, element in element.write(to: &writer) }
    }

    /// An object; `body` writes its members with `member`, in sorted key order.
    mutating func object(_ body: (inout ObjectWriter) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        // The bytes move into the member writer and back (swapped, never copied: a copy per
        // object would make a long report quadratic).
        var members = ObjectWriter(writer: CanonicalJSONWriter(capacity: 0))
        swap(&members.writer.bytes, &bytes)
        body(&members)
        swap(&members.writer.bytes, &bytes)
        bytes.append(UInt8(ascii: "}"))
    }

    struct ObjectWriter {
        fileprivate var writer: CanonicalJSONWriter
        private var isFirst = true
        #if DEBUG
        private var lastKey: String?
        #endif

        fileprivate init(writer: CanonicalJSONWriter) {
            self.writer = writer
        }

        /// `"key":` then the value `write` writes. Keys must come in their sorted order.
        mutating func member(_ key: StaticString, _ write: (inout CanonicalJSONWriter) -> Void) {
            #if DEBUG
            let text = key.description
            assert(lastKey.map { $0.utf8.lexicographicallyPrecedes(text.utf8) } ?? true, "keys out of order: \(lastKey ?? "") before \(text)")
            lastKey = text
            #endif
            if !isFirst { writer.bytes.append(UInt8(ascii: ",")) }
            isFirst = false
            writer.bytes.append(UInt8(ascii: "\""))
            writer.bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            writer.bytes.append(UInt8(ascii: "\""))
            writer.bytes.append(UInt8(ascii: ":"))
            write(&writer)
        }

        /// Left out when nil, as JSONEncoder's synthesized `encodeIfPresent` does.
        mutating func member<Value>(_ key: StaticString, ifPresent value: Value?, _ write: (inout CanonicalJSONWriter, Value) -> Void) {
            guard let value else { return }
            member(key) { write(&$0, value) }
        }

        mutating func member(_ key: StaticString, _ text: String) { member(key) { $0.string(text) } }
        mutating func member(_ key: StaticString, _ amount: Money) { member(key) { $0.money(amount) } }
        mutating func member(_ key: StaticString, _ value: Int) { member(key) { $0.int(value) } }
        mutating func member(_ key: StaticString, _ value: Bool) { member(key) { $0.bool(value) } }
        mutating func member<Value: CanonicalJSONWritable>(_ key: StaticString, _ value: Value) { member(key) { value.write(to: &$0) } }
        mutating func member<Element: CanonicalJSONWritable>(_ key: StaticString, _ elements: [Element]) { member(key) { $0.array(elements) } }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

/// A type whose canonical JSON CanonicalJSONWriter writes by hand (the same bytes as CanonicalJSON.encode).
protocol CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter)
}

// MARK: the plan's lines, keys in sorted snake_case order

extension AdjustmentLine: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("ambiguous", ambiguous)
            o.member("attribution", attribution)
            o.member("balance", balance)
            o.member("balance_after", balanceAfter)
            o.member("contact", ifPresent: contact) { $0.string($1) }
            o.member("decompositions", decompositions)
            o.member("delta", delta)
            o.member("excess", excess)
            o.member("idempotency_key", idempotencyKey)
            o.member("label", label)
            o.member("ledger", ledger)
            o.member("open_receivables", openReceivables)
            o.member("precondition", precondition)
            o.member("receivable", receivable)
            o.member("reverts_key", ifPresent: revertsKey) { $0.string($1) }
            o.member("user_id", userId)
        }
    }
}

extension Precondition: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in o.member("excess", excess) }
    }
}

extension HeldLine: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("acknowledged", ifPresent: acknowledged) { $1.write(to: &$0) }
            o.member("balance", balance)
            o.member("closest", ifPresent: closest) { $1.write(to: &$0) }
            o.member("excess", excess)
            o.member("explanation", explanation)
            o.member("label", label)
            o.member("ledger", ledger)
            o.member("open_receivables", openReceivables)
            o.member("reason", reason.rawValue)
            o.member("user_id", userId)
        }
    }
}

extension Acknowledgement: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("at", at)
            o.member("by", by)
            o.member("reason", reason)
        }
    }
}

extension SettledLine: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("candidate_top_ups", candidateTopUps)
            o.member("label", label)
            o.member("note", note)
            o.member("user_id", userId)
        }
    }
}

extension Decomposition: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("classification") { $0.array(classification) { $0.string($1.rawValue) } }
            o.member("purchases", purchases)
            o.member("top_ups", topUps)
            o.member("total", total)
        }
    }
}

extension TopUpAttribution: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("amount", amount)
            o.member("amount_received", amountReceived)
            o.member("contribution", contribution)
            o.member("handler_runs", handlerRuns)
            o.member("lost_purchases", lostPurchases)
            o.member("paid_at", paidAt)
            o.member("reference", reference)
            o.member("transaction_id", transactionId)
            o.member("trigger_refires", triggerRefires)
        }
    }
}

extension LostPurchaseCandidate: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("after_reference", afterReference)
            o.member("amount", amount)
            o.member("completed_at", completedAt)
            o.member("transaction_id", transactionId)
        }
    }
}

extension PurchaseAttribution: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("amount", amount)
            o.member("contribution", contribution)
            o.member("kind", kind.rawValue)
            o.member("status", status)
            o.member("transaction_id", transactionId)
        }
    }
}

// MARK: apply's audit details and report, written per line and per run

extension CorrectionDetails: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("after", after)
            o.member("approvers") { $0.array(approvers) { $0.string($1) } }
            o.member("before", before)
            o.member("delta", delta)
            o.member("entries") { $0.array(entries) { $0.string($1) } }
            if let evidenceJSON { o.member("evidence") { $0.raw(evidenceJSON) } } else { o.member("evidence", evidence) }
            o.member("excess", excess)
            o.member("idempotency_key", idempotencyKey)
            o.member("job", job)
            o.member("reason", reason)
            o.member("receivable", receivable)
            o.member("reverts", ifPresent: reverts) { $0.string($1) }
            o.member("run_id", runId)
        }
    }
}

extension SkipDetails: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("current_balance", ifPresent: currentBalance) { $0.money($1) }
            o.member("current_excess", ifPresent: currentExcess) { $0.money($1) }
            o.member("idempotency_key", idempotencyKey)
            o.member("planned_excess", plannedExcess)
            o.member("reason", reason.rawValue)
        }
    }
}

extension ApplyReport: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        write(to: &writer, drain: nil)
    }

    /// With `drain`, the applied lines are handed on every megabyte or so instead of being held.
    func write(to writer: inout CanonicalJSONWriter, drain: (([UInt8]) -> Void)?) {
        writer.object { o in
            o.member("already_applied") { $0.array(alreadyApplied) { $0.string($1) } }
            o.member("applied") { w in
                w.array(applied) { w, line in
                    line.write(to: &w)
                    if let drain, w.bytes.count >= 1 << 20 { w.drain(into: drain) }
                }
            }
            o.member("approvers") { $0.array(approvers) { $0.string($1) } }
            o.member("audit_head", auditHead)
            o.member("finished_at", ifPresent: finishedAt) { $0.string($1) }
            o.member("job", job)
            o.member("operator_name", operatorName)
            o.member("plan_digest", planDigest)
            o.member("receivables_opened", receivablesOpened)
            o.member("run_id", runId)
            o.member("signed_audit_head", ifPresent: signedAuditHead) { $1.write(to: &$0) }
            o.member("skipped", skipped)
            o.member("started_at", ifPresent: startedAt) { $0.string($1) }
            o.member("taken_back", takenBack)
        }
    }

    /// Writes the report's canonical JSON to `path` (via a temporary file beside it, renamed into
    /// place) a megabyte at a time: the whole document is never held.
    func writeCanonical(toFile path: String) throws {
        let temporary = path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw RemedyError(.io, "cannot create \(temporary)")
        }
        var failure: Error?
        var writer = CanonicalJSONWriter(capacity: 1 << 20)
        let drain: ([UInt8]) -> Void = { bytes in
            guard failure == nil else { return }
            do { try handle.write(contentsOf: bytes) } catch { failure = error }
        }
        write(to: &writer, drain: drain)
        writer.drain(into: drain)
        try? handle.close()
        if let failure {
            try? FileManager.default.removeItem(atPath: temporary)
            throw failure
        }
        guard rename(temporary, path) == 0 else {
            try? FileManager.default.removeItem(atPath: temporary)
            throw RemedyError(.io, "cannot move \(temporary) to \(path): \(String(cString: strerror(errno)))")
        }
    }
}

extension ApplyReport.Applied: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("balance_after", balanceAfter)
            o.member("balance_before", balanceBefore)
            o.member("delta", delta)
            o.member("label", label)
            o.member("receivable", receivable)
            o.member("user_id", userId)
        }
    }
}

extension ApplyReport.Skipped: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("current_balance", ifPresent: currentBalance) { $0.money($1) }
            o.member("current_excess", ifPresent: currentExcess) { $0.money($1) }
            o.member("label", label)
            o.member("planned_excess", plannedExcess)
            o.member("reason", reason.rawValue)
            o.member("user_id", userId)
        }
    }
}
