import Postgres
import Rupiah

/// What a detect that reads the transactions once would fold them into, for the benchmark's
/// one-pass yardstick (Yardsticks.onePass): every row of `BenchmarkSQL.onePassRows`, decoded from
/// binary COPY, folded into per-user ledgers (the floor's signs), the window's top-ups (the
/// candidates, with what their evidence needs), the purchases completed in the window (user, time
/// and amount: the few that follow a candidate would have their ids looked up after the pass)
/// and check's groups (rows and sums by type, status and the paid top-ups' UTC day). Held
/// compactly (OnePassFold+Storage): users keyed by their uuid's two halves, not by text.
struct OnePassFold {
    /// A window top-up: its user, its id, when it was paid, its amount and amount received in sen
    /// (`Int64.min`: none). 56 bytes.
    struct Candidate { let userHigh: UInt64, userLow: UInt64, idHigh: UInt64, idLow: UInt64, paidAt: Int64, amount: Int64, received: Int64 }
    /// A purchase completed in the window: its user, when, and its amount in sen. 32 bytes.
    struct Purchase { let userHigh: UInt64, userLow: UInt64, completedAt: Int64, amount: Int64 }
    struct GroupKey: Hashable { let type: UInt8; let status: UInt8; let day: Int32 }
    struct Group { var rows = 0; var sum = Money.zero }

    /// The window, in microseconds since 2000-01-01 UTC (binary timestamptz).
    let since: Int64
    let until: Int64
    private(set) var ledgers = LedgerTable()
    private(set) var candidates = ChunkedList<Candidate>()
    private(set) var windowPurchases = ChunkedList<Purchase>()
    private(set) var groups: [GroupKey: Group] = [:]
    private(set) var rows = 0
    /// Type and status names met so far, each a small code (a shop has a handful), and what
    /// each code means to the fold, looked up by code rather than compared as text on every row.
    private var names: [[UInt8]] = []
    private var roles: [Role] = []
    enum Role { case topup, purchase, refund, completed, other }

    init(since: Int64, until: Int64) {
        self.since = since
        self.until = until
    }

    static let microsecondsPerDay: Int64 = 86_400_000_000
    /// The job's lost-update tolerance (jobs/tripay-double-credit, 60 s): how long after the
    /// window a completed purchase is still kept.
    static let lostUpdateToleranceMicroseconds: Int64 = 60_000_000
    static let columns = 10

    /// One row: user_id, id, type, status, amount, has reference, paid_at, completed_at, created_at, amount received.
    mutating func fold(_ row: PostgresBinaryRow) throws {
        guard let user = try row.uuid(0), let id = try row.uuid(1), let type = row.bytes(2), let status = row.bytes(3),
              let amountBytes = row.bytes(4) else {
            throw BenchmarkError("a transaction without its user, id, type, status or amount")
        }
        rows += 1
        let (typeCode, statusCode) = (code(type), code(status))
        let amount = try Money(postgresBinaryNumeric: amountBytes)
        let typeRole = roles[Int(typeCode)]
        let isTopup = typeRole == .topup, isPurchase = typeRole == .purchase
        let completed = roles[Int(statusCode)] == .completed
        if completed {
            let signed = isTopup || typeRole == .refund ? amount : isPurchase ? try amount.negated() : .zero
            try ledgers.add(high: user.high, low: user.low, sen: signed.minorUnits)
        }
        var day: Int32 = -1
        if try row.bool(5) == true, isTopup, let paidAt = try row.int64(6) {
            day = Int32(truncatingIfNeeded: paidAt >= 0 ? paidAt / Self.microsecondsPerDay : (paidAt + 1) / Self.microsecondsPerDay - 1)
            if paidAt >= since, paidAt < until {
                let received = try row.bytes(9).map { try Money(postgresBinaryNumeric: $0).minorUnits } ?? Int64.min
                candidates.append(Candidate(userHigh: user.high, userLow: user.low, idHigh: id.high, idLow: id.low, paidAt: paidAt,
                                            amount: amount.minorUnits, received: received))
            }
        }
        if isPurchase, completed, let completedAt = try row.int64(7), completedAt >= since, completedAt <= until + Self.lostUpdateToleranceMicroseconds {
            windowPurchases.append(Purchase(userHigh: user.high, userLow: user.low, completedAt: completedAt, amount: amount.minorUnits))
        }
        _ = try row.int64(8)  // created_at: decoded as a detect would, for the purchases it lists
        let groupKey = GroupKey(type: typeCode, status: statusCode, day: day)
        try groups[groupKey, default: Group()].add(amount)
    }

    /// What the fold holds at the end, by its structures' sizes (OnePassFold+Storage; the groups
    /// are a few hundred bytes): the resident memory a one-pass detect would need at least.
    var heldBytes: Int { ledgers.bytes + candidates.bytes + windowPurchases.bytes }
    /// The most it held at once: the ledgers' table while it doubled, and the lists.
    var peakBytes: Int { ledgers.peakBytes + candidates.bytes + windowPurchases.bytes }

    private mutating func code(_ bytes: UnsafeRawBufferPointer) -> UInt8 {
        if let known = names.firstIndex(where: { $0.elementsEqual(bytes) }) { return UInt8(known) }
        precondition(names.count < Int(UInt8.max), "a shop has a handful of types and statuses")
        names.append(Array(bytes))
        let role: Role = switch String(decoding: bytes, as: UTF8.self) {
        case "topup": .topup
        case "purchase": .purchase
        case "refund": .refund
        case "completed": .completed
        default: .other
        }
        roles.append(role)
        return UInt8(names.count - 1)
    }
}

extension OnePassFold.Group {
    mutating func add(_ amount: Money) throws {
        sum = try sum.adding(amount)
        rows += 1
    }
}
