/// Parsing PostgreSQL `numeric` text (and amounts people type) exactly.
public struct MoneyParseError: Error, CustomStringConvertible, Sendable {
    public let text: String
    public let reason: String
    public var description: String { "cannot read \"\(text.prefix(40))\" as an amount of money: \(reason)" }
}

extension Money {
    /// Reads `-9180`, `9180.5`, `1900000.00`, `+12.30`: optional sign, digits, optional dot and
    /// digits. More than two decimals is accepted only when the extra digits are zeros
    /// (`9180.0000`); otherwise refused, never rounded. Also refused: empty text, exponents,
    /// `NaN`, `Infinity`, grouping separators, whitespace, and values beyond Int64 sen.
    public init(exactText text: String) throws {
        let bytes = Array(text.utf8)
        func fail(_ reason: String) -> MoneyParseError { MoneyParseError(text: text, reason: reason) }
        guard !bytes.isEmpty else { throw fail("it is empty") }
        guard bytes.count <= 64 else { throw fail("it is longer than any amount") }

        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        var integerDigits: [UInt8] = []
        while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
            integerDigits.append(bytes[index] - 48)
            index += 1
        }
        var fractionDigits: [UInt8] = []
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fractionDigits.append(bytes[index] - 48)
                index += 1
            }
        }
        guard index == bytes.count else { throw fail("unexpected character at position \(index + 1)") }
        guard !integerDigits.isEmpty || !fractionDigits.isEmpty else { throw fail("it has no digits") }
        if fractionDigits.count > 2 {
            guard fractionDigits[2...].allSatisfy({ $0 == 0 }) else {
                throw fail("it has more than two decimals (sen), and rounding is not allowed")
            }
            fractionDigits.removeSubrange(2...)
        }
        while fractionDigits.count < 2 { fractionDigits.append(0) }

        // Accumulate the magnitude unsigned so that Int64.min, whose magnitude exceeds Int64.max, fits.
        var magnitude: UInt64 = 0
        for digit in integerDigits + fractionDigits {
            let (shifted, overflowMultiply) = magnitude.multipliedReportingOverflow(by: 10)
            let (next, overflowAdd) = shifted.addingReportingOverflow(UInt64(digit))
            guard !overflowMultiply, !overflowAdd else { throw fail("it is too large to hold exactly") }
            magnitude = next
        }
        let limit = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        guard magnitude <= limit else { throw fail("it is too large to hold exactly") }
        self.init(minorUnits: negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude))
    }
}
