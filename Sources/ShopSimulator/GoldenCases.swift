import Rupiah

/// Users with fixed names and the exact numbers of the incident write-ups.
enum GoldenCase: Int, CaseIterable, Sendable {
    /// Seed 000: top-ups 3.500.000 and purchases 1.600.000 (ledger 1.900.000), two purchases
    /// (150.000 and 250.000) deducted twice, balance 1.500.000. Dated 2025-11-16..19, before the
    /// default window (times as the write-up prints them, UTC).
    case member1
    /// Seed 002: one Rp 10.000 QRIS top-up in the window; balance 19.180.
    case qrisSingle
    /// Hand corrections while the bug was deployed: 19.180 → 10.000 → 29.180 → 20.000 → 39.180.
    case qrisSeries

    var username: String {
        switch self {
        case .member1: "member1"
        case .qrisSingle: "qris_single"
        case .qrisSeries: "qris_series"
        }
    }

    var person: Person {
        switch self {
        case .member1: Person(username: username, email: "member1@example.com", fullName: "Member Satu", role: "member")
        case .qrisSingle: Person(username: username, email: "qris.single@example.com", fullName: "Pembeli QRIS", role: "member")
        case .qrisSeries: Person(username: username, email: "qris.series@example.com", fullName: "Pembeli QRIS Berulang", role: "member")
        }
    }

    var category: StoryCategory {
        switch self {
        case .member1: .otherPurchaseDouble
        case .qrisSingle: .doubleCredit
        case .qrisSeries: .correctedPartial
        }
    }

    func createdAt(_ window: BugWindow) -> Int64 {
        switch self {
        case .member1: SimulatedClock.epoch(2025, 11, 10, 9)
        case .qrisSingle, .qrisSeries: window.start - 5 * SimulatedClock.day
        }
    }

    func plan(_ script: inout HistoryScript) {
        switch self {
        case .member1:
            func utc(_ day: Int, _ h: Int, _ m: Int, _ s: Int) -> Int64 { SimulatedClock.epoch(2025, 11, day, h, m, s, offset: 0) }
            let topups: [(Int64, Int64, PaymentChannel)] = [
                (utc(16, 5, 44, 21), 500_000, .qris), (utc(17, 12, 1, 41), 1_000_000, .briva),
                (utc(17, 12, 1, 41), 500_000, .qris), (utc(19, 2, 8, 6), 1_000_000, .bniva), (utc(19, 5, 24, 18), 500_000, .qris),
            ]
            for (paidAt, rupiah, channel) in topups {
                script.schedule(.fixedTopup(amount: Money(rupiah: rupiah), channel: channel, paidAt: paidAt), at: paidAt - 180)
            }
            let purchases: [(Int64, Int64, String?, TransactionStatus, Bool)] = [
                (utc(17, 5, 44, 21), 150_000, nil, .completed, true),
                (utc(17, 12, 1, 41), 250_000, nil, .completed, true),
                (utc(17, 12, 1, 41), 150_000, nil, .pending, false),
                (utc(18, 5, 44, 21), 250_000, nil, .completed, false),
                (utc(19, 0, 8, 6), 250_000, nil, .completed, false),
                (utc(19, 3, 54, 18), 450_000, nil, .completed, false),
                (utc(19, 5, 49, 18), 150_000, nil, .completed, false),
                (utc(19, 16, 19, 29), 100_000, "BM50 - Standard", .completed, false),
            ]
            for (at, rupiah, product, status, twice) in purchases {
                script.schedule(.fixedPurchase(price: Money(rupiah: rupiah), product: product, status: status, deductedTwice: twice), at: at)
            }

        case .qrisSingle:
            script.schedule(.fixedTopup(amount: Money(rupiah: 10_000), channel: .qris, paidAt: point(script.window, 0.2)),
                            at: point(script.window, 0.2) - 120)

        case .qrisSeries:
            let window = script.window
            for (index, fraction) in [0.1, 0.3, 0.5].enumerated() {
                script.schedule(.fixedTopup(amount: Money(rupiah: 10_000), channel: .qris, paidAt: point(window, fraction)),
                                at: point(window, fraction) - 120)
                if index < 2 {
                    let before = Money(rupiah: 19_180 + Int64(index) * 10_000)
                    let after = Money(rupiah: 10_000 + Int64(index) * 10_000)
                    script.schedule(.fixedCorrection(expected: before, newBalance: after), at: point(window, fraction + 0.1))
                }
            }
        }
    }

    private func point(_ window: BugWindow, _ fraction: Double) -> Int64 {
        window.start + Int64(Double(window.end - window.start) * fraction)
    }
}
