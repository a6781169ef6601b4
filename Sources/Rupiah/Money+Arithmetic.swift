/// Checked arithmetic. The throwing forms are for amounts that come from data (sums over a
/// database); the operators trap on overflow, like Swift's integers, for amounts already bounded.
public struct MoneyOverflowError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public var description: String { "money arithmetic overflowed in \(operation): the amount does not fit in Int64 sen" }
}

extension Money {
    public func adding(_ other: Money) throws -> Money {
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        if overflow { throw MoneyOverflowError(operation: "addition") }
        return Money(minorUnits: sum)
    }

    public func subtracting(_ other: Money) throws -> Money {
        let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        if overflow { throw MoneyOverflowError(operation: "subtraction") }
        return Money(minorUnits: difference)
    }

    public func multiplied(by factor: Int64) throws -> Money {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: factor)
        if overflow { throw MoneyOverflowError(operation: "multiplication") }
        return Money(minorUnits: product)
    }

    public func negated() throws -> Money {
        guard minorUnits != .min else { throw MoneyOverflowError(operation: "negation") }
        return Money(minorUnits: -minorUnits)
    }

    public static func + (lhs: Money, rhs: Money) -> Money { Money(minorUnits: lhs.minorUnits + rhs.minorUnits) }
    public static func - (lhs: Money, rhs: Money) -> Money { Money(minorUnits: lhs.minorUnits - rhs.minorUnits) }
    public static prefix func - (value: Money) -> Money { Money(minorUnits: -value.minorUnits) }
    public static func += (lhs: inout Money, rhs: Money) { lhs = lhs + rhs }
    public static func -= (lhs: inout Money, rhs: Money) { lhs = lhs - rhs }
}

extension Sequence where Element == Money {
    /// The exact sum, or an error when it overflows.
    public func checkedSum() throws -> Money {
        try reduce(Money.zero) { try $0.adding($1) }
    }
}
