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
        // Read in place from the string's bytes: plan lines hold tens of amounts each, and a reader
        // of a million lines parses tens of millions of them.
        var bytes = text
        do {
            self = try bytes.withUTF8 { try Money.parse(exactText: $0) }
        } catch let refusal as Refusal {
            throw MoneyParseError(text: text, reason: refusal.reason)
        }
    }

    private struct Refusal: Error {
        let reason: String
    }

    private static func parse(exactText bytes: UnsafeBufferPointer<UInt8>) throws(Refusal) -> Money {
        func fail(_ reason: String) -> Refusal { Refusal(reason: reason) }
        guard !bytes.isEmpty else { throw fail("it is empty") }
        guard bytes.count <= 64 else { throw fail("it is longer than any amount") }
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        let integerStart = index
        while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        let integerEnd = index
        var fractionStart = index
        var fractionEnd = index
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            fractionStart = index
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            fractionEnd = index
        }
        guard index == bytes.count else { throw fail("unexpected character at position \(index + 1)") }
        guard integerEnd > integerStart || fractionEnd > fractionStart else { throw fail("it has no digits") }
        if fractionEnd - fractionStart > 2 {
            guard bytes[(fractionStart + 2)..<fractionEnd].allSatisfy({ $0 == UInt8(ascii: "0") }) else {
                throw fail("it has more than two decimals (sen), and rounding is not allowed")
            }
        }

        // Accumulate the magnitude unsigned so that Int64.min, whose magnitude exceeds Int64.max, fits.
        var magnitude: UInt64 = 0
        func push(_ digit: UInt8) throws(Refusal) {
            let (shifted, overflowMultiply) = magnitude.multipliedReportingOverflow(by: 10)
            let (next, overflowAdd) = shifted.addingReportingOverflow(UInt64(digit))
            guard !overflowMultiply, !overflowAdd else { throw fail("it is too large to hold exactly") }
            magnitude = next
        }
        for position in integerStart..<integerEnd { try push(bytes[position] - 48) }
        for sen in 0..<2 {
            let position = fractionStart + sen
            try push(position < fractionEnd ? bytes[position] - 48 : 0)
        }
        let limit = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        guard magnitude <= limit else { throw fail("it is too large to hold exactly") }
        return Money(minorUnits: negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude))
    }
}

extension Money {
    /// Reads only what `exactText` writes (`-9180.00`, `0.00`): an optional `-`, digits with no
    /// leading zero (but `0`), a dot, exactly two digits, and never `-0.00`; nil for anything else.
    /// What it reads, `exactText` writes again byte for byte: signed documents hold amounts in
    /// this one spelling, so a second spelling of the same amount cannot hide in them.
    public init?(canonicalExactText bytes: UnsafeRawBufferPointer) {
        // The spelling is checked here; the digits, the range and the value are `parse`'s.
        let negative = bytes.first == UInt8(ascii: "-")
        let wholeStart = negative ? 1 : 0
        let point = bytes.count - 3
        guard point > wholeStart, bytes[point] == UInt8(ascii: "."),
              (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[wholeStart]) || (bytes[wholeStart] == UInt8(ascii: "0") && point == wholeStart + 1),
              let amount = try? Money.parse(exactText: bytes.assumingMemoryBound(to: UInt8.self)),
              !(negative && amount.minorUnits == 0) else { return nil }
        self = amount
    }
}
