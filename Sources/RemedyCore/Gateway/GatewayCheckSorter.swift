import Foundation
import Rupiah

/// Puts `remedy evidence`'s checks in the list's order (by reference, then transaction id) in
/// bounded memory: an external merge sort. Checks are gathered `runChecks` at a time, each run
/// sorted and written to its own temporary file, and the runs merged as the plan is written. A
/// transaction checked twice (a top-up a line names, found again among the window's never-completed
/// ones) is given once: the named check, which is the one whose verdict marks the line.
final class GatewayCheckSorter {
    /// Checks held at a time (about 400 bytes each).
    static let defaultRunChecks = 32_768
    /// Runs merged at once: 838,008 checks at 1,000,000 users make 26.
    static let maxRuns = 4_096

    private let stem: String
    private let runChecks: Int
    private var pending: [(check: GatewayReferenceCheck, named: Bool)] = []
    private var runs: [RecordFile] = []

    /// `runChecks`: checks held before a run is written (tests make it small).
    init(directory: String, stem: String, runChecks: Int = GatewayCheckSorter.defaultRunChecks) {
        precondition(runChecks > 0)
        self.stem = "\(directory)/.\(stem)-\(UUID().uuidString.lowercased())"
        self.runChecks = runChecks
        pending.reserveCapacity(runChecks)
    }

    deinit {
        remove()
    }

    func add(_ check: GatewayReferenceCheck, named: Bool) throws {
        pending.append((check, named))
        if pending.count >= runChecks { try writeRun() }
    }

    /// Every check once, in the list's order.
    func finish(_ emit: (GatewayReferenceCheck) throws -> Void) throws {
        try writeRun()
        let readers = try runs.map { try $0.reader() }
        var heads = try readers.map { try $0.next().map(Self.decode) }
        var last: (reference: String, transactionId: String)?
        while true {
            var smallest: Int?
            for (index, head) in heads.enumerated() {
                guard let head else { continue }
                if let best = smallest, let current = heads[best], !Self.precedes(head, current) { continue }
                smallest = index
            }
            guard let index = smallest, let head = heads[index] else { break }
            heads[index] = try readers[index].next().map(Self.decode)
            if let last, last.reference == head.check.reference, last.transactionId == head.check.transactionId { continue }
            last = (head.check.reference, head.check.transactionId)
            try emit(head.check)
        }
    }

    func remove() {
        runs.forEach { $0.remove() }
        runs = []
    }

    /// The list's order; for the same transaction, the named check first.
    private static func precedes(_ a: (check: GatewayReferenceCheck, named: Bool), _ b: (check: GatewayReferenceCheck, named: Bool)) -> Bool {
        if GatewayReferenceCheck.inOrder(a.check, b.check) { return true }
        if GatewayReferenceCheck.inOrder(b.check, a.check) { return false }
        return a.named && !b.named
    }

    private func writeRun() throws {
        guard !pending.isEmpty else { return }
        guard runs.count < Self.maxRuns else {
            throw RemedyError(.invariant, "remedy evidence gathered more than \(Self.maxRuns * runChecks) checks; it is bounded to that many")
        }
        pending.sort(by: Self.precedes)
        let run = try RecordFile(path: "\(stem).run\(runs.count)")
        for (check, named) in pending { try run.append(Self.encode(check, named: named)) }
        try run.flush()
        runs.append(run)
        pending.removeAll(keepingCapacity: true)
    }

    private static func encode(_ check: GatewayReferenceCheck, named: Bool) -> [String?] {
        [check.reference, check.userId, check.transactionId, check.shopStatus, check.verdict.rawValue, check.reason,
         check.amountReceived?.exactText, check.sha256, named ? "1" : "0"]
    }

    private static func decode(_ fields: [String?]) -> (check: GatewayReferenceCheck, named: Bool) {
        // Only this type writes these files, in this shape.
        precondition(fields.count == 9, "a gateway check run holds 9 fields a record")
        let check = GatewayReferenceCheck(
            reference: fields[0]!, userId: fields[1]!, transactionId: fields[2]!, shopStatus: fields[3]!,
            verdict: GatewayReferenceCheck.Verdict(rawValue: fields[4]!)!, reason: fields[5],
            amountReceived: fields[6].flatMap { try? Money(exactText: $0) }, sha256: fields[7])
        return (check, fields[8] == "1")
    }
}
