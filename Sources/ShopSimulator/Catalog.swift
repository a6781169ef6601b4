import Rupiah

/// What the shop sells (digital goods) and what people top up.
enum Catalog {
    struct Product: Sendable {
        let name: String
        let price: Money
    }

    static let products: [(Product, Int)] = [
        (Product(name: "BM50 - Standard", price: Money(rupiah: 100_000)), 12),
        (Product(name: "BM50 - Verified", price: Money(rupiah: 250_000)), 5),
        (Product(name: "BM250 - Standard", price: Money(rupiah: 150_000)), 6),
        (Product(name: "BM1000 - Premium", price: Money(rupiah: 450_000)), 2),
        (Product(name: "Akun FB Lama 2015", price: Money(rupiah: 35_000)), 8),
        (Product(name: "Akun FB Marketplace Aktif", price: Money(rupiah: 60_000)), 5),
        (Product(name: "Voucher Google Play 50K", price: Money(rupiah: 52_000)), 10),
        (Product(name: "Voucher Google Play 100K", price: Money(rupiah: 102_000)), 6),
        (Product(name: "Steam Wallet IDR 60K", price: Money(rupiah: 63_000)), 4),
        (Product(name: "Netflix Premium 1 Bulan", price: Money(rupiah: 45_000)), 9),
        (Product(name: "Spotify Premium 3 Bulan", price: Money(rupiah: 55_000)), 6),
        (Product(name: "Canva Pro 1 Tahun", price: Money(rupiah: 30_000)), 7),
        (Product(name: "ChatGPT Plus 1 Bulan", price: Money(rupiah: 320_000)), 3),
        (Product(name: "Diamond Mobile Legends 86", price: Money(rupiah: 24_000)), 10),
        (Product(name: "Pulsa Telkomsel 20K", price: Money(rupiah: 21_500)), 8),
        (Product(name: "Token PLN 50K", price: Money(rupiah: 51_000)), 5),
        (Product(name: "Jasa Verifikasi \"Blue Badge\"", price: Money(rupiah: 175_000)), 1),
        (Product(name: "Paket <Premium> Ads — 3 hari", price: Money(rupiah: 85_000)), 1),
    ]

    static let cheapest = products.map(\.0.price).min()!

    /// Top-up values in whole rupiah, weighted towards small amounts; a few odd ones.
    static let topupAmounts: [(Int64, Int)] = [
        (10_000, 14), (15_000, 3), (20_000, 10), (25_000, 7), (50_000, 14), (75_000, 3), (100_000, 14),
        (150_000, 6), (200_000, 7), (250_000, 4), (300_000, 4), (500_000, 6), (750_000, 1),
        (1_000_000, 4), (1_500_000, 1), (2_000_000, 1), (12_345, 1), (37_500, 1), (99_999, 1),
    ]

    static let channels: [(PaymentChannel, Int)] = [
        (.qris, 55), (.briva, 9), (.bniva, 5), (.mandiriva, 5), (.bcava, 6), (.ovo, 5), (.dana, 8), (.shopeepay, 7),
    ]

    static func product(_ random: inout SimulationRandom) -> Product { random.weighted(products) }

    /// A product the user can afford with `available`, if any.
    static func affordableProduct(_ available: Money, _ random: inout SimulationRandom) -> Product? {
        let affordable = products.filter { $0.0.price <= available }
        return affordable.isEmpty ? nil : random.weighted(affordable)
    }

    static func topupAmount(_ random: inout SimulationRandom) -> Money { Money(rupiah: random.weighted(topupAmounts)) }

    /// Virtual accounts have a minimum payment of Rp 10.000 and are used for larger amounts.
    static func channel(for amount: Money, _ random: inout SimulationRandom) -> PaymentChannel {
        let channel = random.weighted(channels)
        if channel.isVirtualAccount && amount < Money(rupiah: 20_000) { return .qris }
        return channel
    }
}
