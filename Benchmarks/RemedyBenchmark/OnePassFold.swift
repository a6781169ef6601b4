import Postgres
import Rupiah

/// What a detect that reads the transactions once would fold them into, for the benchmark's
/// one-pass yardstick (Yardsticks.onePass): every row of `BenchmarkSQL.onePassRows`, decoded from
/// binary COPY, folded into per-user ledgers (the floor's signs), the window's top-ups (the
/// candidates, kept whole), the purchases completed in the window (kept whole, for the lost
/// updates) and check's groups (rows and sums by type, status and the paid top-ups' UTC day).
/// Users are keyed by their uuid's two halves, not by text.
struct OnePassFold {
    struct UserKey: Hashable { let high: UInt64, low: UInt64 }
    struct Ledger { var sum = Money.zero; var rows: Int32 = 0 }
    /// A window top-up or purchase as a detect would keep it: its ids, time and amounts.
    struct Kept { let user: UserKey; let id: UserKey; let at: Int64; let amount: Money; let received: Money? }
    struct GroupKey: Hashable { let type: UInt8; let status: UInt8; let day: Int32 }
    struct Group { var rows = 0; var sum = Money.zero }

    /// The window, in microseconds since 2000-01-01 UTC (binary timestamptz).
    let since: Int64
    let until: Int64
    private(set) var ledgers: [UserKey: Ledger] = [:]
    private(set) var candidates: [Kept] = []
    private(set) var windowPurchases: [Kept] = []
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
        let userKey = UserKey(high: user.high, low: user.low)
        let typeRole = roles[Int(typeCode)]
        let isTopup = typeRole == .topup, isPurchase = typeRole == .purchase
        let completed = roles[Int(statusCode)] == .completed
        if completed {
            let signed = isTopup || typeRole == .refund ? amount : isPurchase ? try amount.negated() : .zero
            try ledgers[userKey, default: Ledger()].add(signed)
        }
        var day: Int32 = -1
        if try row.bool(5) == true, isTopup, let paidAt = try row.int64(6) {
            day = Int32(truncatingIfNeeded: paidAt >= 0 ? paidAt / Self.microsecondsPerDay : (paidAt + 1) / Self.microsecondsPerDay - 1)
            if paidAt >= since, paidAt < until {
                candidates.append(Kept(user: userKey, id: UserKey(high: id.high, low: id.low), at: paidAt, amount: amount,
                                       received: try row.bytes(9).map { try Money(postgresBinaryNumeric: $0) }))
            }
        }
        if isPurchase, completed, let completedAt = try row.int64(7), completedAt >= since, completedAt <= until + Self.lostUpdateToleranceMicroseconds {
            windowPurchases.append(Kept(user: userKey, id: UserKey(high: id.high, low: id.low), at: completedAt, amount: amount, received: nil))
        }
        _ = try row.int64(8)  // created_at: decoded as a detect would, for the purchases it lists
        let groupKey = GroupKey(type: typeCode, status: statusCode, day: day)
        try groups[groupKey, default: Group()].add(amount)
    }

    /// What the fold holds, by its structures' sizes: an array's capacity × its element's stride;
    /// a dictionary's buckets (a power of two, filled to 3/4 at most) × its key's and value's
    /// strides, and a bit per bucket. The resident memory a one-pass detect would need at least.
    var heldBytes: Int {
        func buckets(_ capacity: Int) -> Int {
            var count = 1
            while count * 3 / 4 < capacity, count < Int.max / 2 { count <<= 1 }
            return count
        }
        let ledgerBuckets = buckets(ledgers.capacity), groupBuckets = buckets(groups.capacity)
        return ledgerBuckets * (MemoryLayout<UserKey>.stride + MemoryLayout<Ledger>.stride) + ledgerBuckets / 8
            + (candidates.capacity + windowPurchases.capacity) * MemoryLayout<Kept>.stride
            + groupBuckets * (MemoryLayout<GroupKey>.stride + MemoryLayout<Group>.stride) + groupBuckets / 8
    }

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

extension OnePassFold.Ledger {
    mutating func add(_ amount: Money) throws {
        sum = try sum.adding(amount)
        rows += 1
    }
}
