/// An exact amount of rupiah, held as integer sen (1/100 rupiah) in an `Int64`.
///
/// Never a `Double`, and not Foundation's `Decimal` (on Linux `Decimal(string:)` accepts a valid
/// prefix such as "12abc", and overflow turns into NaN silently). The range, ±92 quadrillion
/// rupiah, is far beyond any `numeric(15,2)` balance; what does not fit is refused, never rounded.
public struct Money: Hashable, Comparable, Sendable {
    /// Sen: hundredths of a rupiah, the scale of the shop's `numeric(…,2)` columns.
    public let minorUnits: Int64

    public static let minorUnitsPerRupiah: Int64 = 100
    public static let zero = Money(minorUnits: 0)

    public init(minorUnits: Int64) {
        self.minorUnits = minorUnits
    }

    /// Whole rupiah, e.g. `Money(rupiah: 9_180)`. Traps on overflow: use it for constants only.
    public init(rupiah: Int64) {
        self.minorUnits = rupiah * Money.minorUnitsPerRupiah
    }

    public var isZero: Bool { minorUnits == 0 }
    public var isNegative: Bool { minorUnits < 0 }
    public var isPositive: Bool { minorUnits > 0 }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.minorUnits < rhs.minorUnits }
}
