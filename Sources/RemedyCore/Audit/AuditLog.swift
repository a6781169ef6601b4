import Crypto
import Foundation
import Postgres

/// One audit row before it is chained: who did what, under which plan, to whom, and the details
/// as canonical JSON.
public struct AuditEvent: Sendable {
    public let action: String
    public let actor: String
    public let planDigest: String?
    public let userId: String?
    public let content: String

    /// Details written by CanonicalJSONWriter: the same content, without JSONEncoder's cost (apply
    /// writes one per line).
    init<Details: CanonicalJSONWritable & Encodable>(action: String, actor: String, planDigest: String? = nil, userId: String? = nil, details: Details) {
        self.action = action
        self.actor = actor
        self.planDigest = planDigest
        self.userId = userId
        self.content = String(decoding: CanonicalJSONWriter.encodeBytes(details), as: UTF8.self)
    }

    public init<Details: Encodable>(action: String, actor: String, planDigest: String? = nil, userId: String? = nil, details: Details) throws {
        self.action = action
        self.actor = actor
        self.planDigest = planDigest
        self.userId = userId
        self.content = String(decoding: try CanonicalJSON.encode(details), as: UTF8.self)
    }
}

/// The append-only, hash-chained audit log: each row holds the previous row's hash and
/// `row_hash = SHA-256(prev_hash, seq, recorded_at, action, actor, plan, user, content)`.
/// The database refuses updates, deletes and truncation; `verify` catches whatever bypasses that.
public struct AuditLog {
    public static let genesisHash = String(repeating: "0", count: 64)
    /// The largest number of rows appended in one statement.
    static let maxBatch = 5_000

    public let connection: PostgresConnection

    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Appends inside the caller's transaction (so the rows commit or vanish with the change
    /// they describe) and returns the new head hash.
    @discardableResult
    public func append(_ events: [AuditEvent]) throws -> String {
        precondition(connection.isInTransaction, "audit rows are appended inside the transaction of the change they record")
        return try append(events, head: try connection.pipeline(AuditLog.lockThenHead)[1][0])
    }

    /// The append lock, then the head and the time read after it (a statement of its own, so in
    /// READ COMMITTED its snapshot is taken once the lock is held), sent as one pipeline:
    /// `append(_:)` sends them alone, apply with its batch's writes, then `append(_:head:)`.
    static var lockThenHead: [PostgresStatement] {
        [PostgresStatement(AuditSQL.lock, [AuditSQL.appendLockKey]), PostgresStatement(AuditSQL.headAndNow)]
    }

    /// Appends after `lockThenHead` ran in this transaction; `row` is its head's answer.
    func append(_ events: [AuditEvent], head row: PostgresRow) throws -> String {
        precondition(connection.isInTransaction, "audit rows are appended inside the transaction of the change they record")
        var (seq, previous) = try Self.head(of: row)
        let recordedAt = try row.decode(2, as: String.self)
        for chunk in stride(from: 0, to: events.count, by: AuditLog.maxBatch).map({ events[$0..<min($0 + AuditLog.maxBatch, events.count)] }) {
            var columns = [[String?]](repeating: [], count: 9)
            for event in chunk {
                seq += 1
                let hash = AuditLog.rowHash(seq: seq, recordedAt: recordedAt, action: event.action, actor: event.actor,
                                            planDigest: event.planDigest, userId: event.userId, content: event.content, previous: previous)
                let values: [String?] = [String(seq), recordedAt, event.action, event.actor, event.planDigest, event.userId, event.content, previous, hash]
                for (index, value) in values.enumerated() { columns[index].append(value) }
                previous = hash
            }
            // seq and recorded_at as text literals (bigint[], timestamptz[]); the text columns,
            // content's JSON above all, in binary form, with nothing to quote under the lock.
            try connection.execute(AuditSQL.insert, [PostgresArray(columns[0]), PostgresArray(columns[1])] + columns[2...].map { try PostgresTextArray($0) })
        }
        return previous
    }

    public func currentHead() throws -> (seq: Int64, hash: String) {
        try Self.head(of: try connection.query(AuditSQL.head)[0])
    }

    /// The head from AuditSQL.head's columns: an empty log's is seq 0 and the genesis hash.
    private static func head(of row: PostgresRow) throws -> (seq: Int64, hash: String) {
        (try row.decode(0, as: Int64?.self) ?? 0, try row.decode(1, as: String?.self) ?? AuditLog.genesisHash)
    }

    static func rowHash(seq: Int64, recordedAt: String, action: String, actor: String, planDigest: String?, userId: String?,
                        content: String, previous: String) -> String {
        // Length-prefixed fields: no choice of values can make two different rows hash alike.
        // Gathered in one buffer and hashed at once (the same bytes in the same order as hashing
        // them field by field): apply hashes a row per correction.
        var message: [UInt8] = []
        message.reserveCapacity(content.utf8.count + 256)
        for field in ["remedy-audit/v1", previous, String(seq), recordedAt, action, actor, planDigest ?? "\u{0}", userId ?? "\u{0}", content] {
            message.append(contentsOf: String(field.utf8.count).utf8)
            message.append(UInt8(ascii: ":"))
            message.append(contentsOf: field.utf8)
        }
        return SHA256.hash(data: message).hexString
    }

    public struct Verification: Sendable {
        public let rows: Int64
        public let head: String
        /// The first row that breaks the chain, and why.
        public let firstBroken: (seq: Int64, reason: String)?
        /// With a head recorded earlier: whether the chain still passes through it (at its row,
        /// when the row is known).
        public let reachesRecordedHead: Bool?
        /// remedy's own records (plans, approvals, runs, corrections…) whose audit rows are gone,
        /// one line each: rows were removed even though what is left still chains.
        public let unaccounted: [String]
    }

    /// Walks the whole chain in order, streaming; names the first broken row; and checks that
    /// remedy's own records still have their rows.
    public func verify(recordedHead: String? = nil, atSeq recordedSeq: Int64? = nil) throws -> Verification {
        var expectedSeq: Int64 = 1
        var previous = AuditLog.genesisHash
        var broken: (Int64, String)?
        var sawHead = recordedHead == nil || recordedHead == AuditLog.genesisHash
        try connection.stream(AuditSQL.walk) { row in
            guard broken == nil else { return }
            let seq = try row.decode(0, as: Int64.self)
            let prevHash = try row.decode(7, as: String.self)
            let rowHash = try row.decode(8, as: String.self)
            if seq != expectedSeq {
                broken = (expectedSeq, "row \(expectedSeq) is missing (the next row is \(seq)): rows were deleted")
                return
            }
            if prevHash != previous {
                broken = (seq, "row \(seq) does not point at row \(seq - 1)'s hash: a row before it was altered or removed")
                return
            }
            let recomputed = AuditLog.rowHash(
                seq: seq, recordedAt: try row.decode(1, as: String.self), action: try row.decode(2, as: String.self),
                actor: try row.decode(3, as: String.self), planDigest: try row.decode(4, as: String?.self),
                userId: try row.decode(5, as: String?.self), content: try row.decode(6, as: String.self), previous: prevHash)
            if recomputed != rowHash {
                broken = (seq, "row \(seq)'s content does not match its hash: it was altered")
                return
            }
            if rowHash == recordedHead, recordedSeq == nil || recordedSeq == seq { sawHead = true }
            previous = rowHash
            expectedSeq += 1
        }
        let unaccounted = try connection.query(AuditSQL.recordsWithoutTheirRows).map { row in
            "\(try row.decode(2, as: Int.self)) \(try row.decode(0, as: String.self)) but \(try row.decode(3, as: Int.self)) \(try row.decode(1, as: String.self)) rows"
        }
        return Verification(rows: expectedSeq - 1, head: previous, firstBroken: broken.map { (seq: $0.0, reason: $0.1) },
                            reachesRecordedHead: recordedHead == nil ? nil : sawHead, unaccounted: unaccounted)
    }
}
