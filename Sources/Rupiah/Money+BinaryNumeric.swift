/// `numeric` in PostgreSQL's binary send format (a binary COPY's field), read exactly into sen.
extension Money {
    /// The format: digit count, weight (of the first digit, in powers of 10,000), sign (0x0000
    /// positive, 0x4000 negative; NaN and the infinities are refused), display scale, then the
    /// base-10,000 digits, each 16 bits, big-endian. As with text, a value with more than two
    /// decimals that are not zeros is refused, never rounded; so is one beyond Int64 sen.
    public init(postgresBinaryNumeric bytes: UnsafeRawBufferPointer) throws {
        func fail(_ reason: String) -> MoneyParseError {
            MoneyParseError(text: "binary numeric of \(bytes.count) bytes", reason: reason)
        }
        func int16(_ offset: Int) -> Int { Int(Int16(bitPattern: UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]))) }
        guard bytes.count >= 8 else { throw fail("it is shorter than its header") }
        let digits = int16(0), weight = int16(2), sign = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        guard digits >= 0, bytes.count == 8 + 2 * digits else { throw fail("its length does not match its digit count") }
        guard sign == 0x0000 || sign == 0x4000 else { throw fail("it is NaN or infinite") }
        var sen: Int64 = 0
        for index in 0..<digits {
            let digit = int16(8 + 2 * index)
            guard (0..<10_000).contains(digit) else { throw fail("a digit is out of range") }
            // This digit's place: 10,000^(weight - index) rupiah, i.e. 100 × that in sen.
            let power = weight - index
            if power >= 0 {
                var place: Int64 = 100
                for _ in 0..<power {
                    let (next, overflow) = place.multipliedReportingOverflow(by: 10_000)
                    guard !overflow else { throw fail("it is too large to hold exactly") }
                    place = next
                }
                let (term, overflowMultiply) = Int64(digit).multipliedReportingOverflow(by: place)
                let (sum, overflowAdd) = sen.addingReportingOverflow(term)
                guard !overflowMultiply, !overflowAdd else { throw fail("it is too large to hold exactly") }
                sen = sum
            } else if power == -1 {
                // The first four decimals: two are sen, the other two must be zeros.
                guard digit % 100 == 0 else { throw fail("it has more than two decimals (sen), and rounding is not allowed") }
                let (sum, overflow) = sen.addingReportingOverflow(Int64(digit / 100))
                guard !overflow else { throw fail("it is too large to hold exactly") }
                sen = sum
            } else if digit != 0 {
                throw fail("it has more than two decimals (sen), and rounding is not allowed")
            }
        }
        self.init(minorUnits: sign == 0x4000 ? -sen : sen)
    }
}
