/// Money for people (`Rp 1.900.000`, `-Rp 9.180`, `Rp 9.180,50`) and for machines (`1900000.00`).
/// Written by hand, not through a locale-dependent formatter, so output never depends on the host.
extension Money {
    /// Rupiah as Indonesians write it: dot for thousands, comma before sen, sen only when non-zero.
    public var rupiah: String {
        (minorUnits < 0 ? "-" : "") + unsignedRupiah
    }

    /// The magnitude in rupiah, without a sign (`Rp 9.180` for -9.180): for columns that say
    /// the direction elsewhere.
    public var unsignedRupiah: String {
        let (whole, sen) = wholeAndSen
        var groups: [String] = []
        var remaining = whole
        repeat {
            let group = remaining % 1000
            remaining /= 1000
            groups.append(remaining > 0 ? threeDigits(group) : String(group))
        } while remaining > 0
        let wholeText = groups.reversed().joined(separator: ".")
        let senText = sen == 0 ? "" : "," + twoDigits(sen)
        return "Rp " + wholeText + senText
    }

    /// With an explicit sign for changes: `+Rp 9.180`, `-Rp 9.180`, `Rp 0`.
    public var signedRupiah: String {
        minorUnits > 0 ? "+" + rupiah : rupiah
    }

    /// Exact decimal text with two places, as PostgreSQL's `numeric(…,2)` prints it: `-9180.00`.
    public var exactText: String {
        // Written backwards into one buffer (at most 22 bytes: a sign, 17 digits, a dot, 2
        // digits): apply and export write several per line, a million lines at a time.
        var magnitude = minorUnits.magnitude
        return String(unsafeUninitializedCapacity: 24) { buffer in
            var end = 24
            func put(_ byte: UInt8) { end -= 1; buffer[end] = byte }
            put(UInt8(ascii: "0") + UInt8(magnitude % 10)); magnitude /= 10
            put(UInt8(ascii: "0") + UInt8(magnitude % 10)); magnitude /= 10
            put(UInt8(ascii: "."))
            repeat { put(UInt8(ascii: "0") + UInt8(magnitude % 10)); magnitude /= 10 } while magnitude > 0
            if minorUnits < 0 { put(UInt8(ascii: "-")) }
            let count = 24 - end
            for index in 0..<count { buffer[index] = buffer[end + index] }
            return count
        }
    }

    private var wholeAndSen: (whole: UInt64, sen: UInt64) {
        let magnitude = minorUnits.magnitude  // UInt64: safe for Int64.min too
        return (magnitude / 100, magnitude % 100)
    }

    private func twoDigits(_ value: UInt64) -> String { value < 10 ? "0\(value)" : "\(value)" }
    private func threeDigits(_ value: UInt64) -> String {
        value < 10 ? "00\(value)" : value < 100 ? "0\(value)" : "\(value)"
    }
}

extension Money: CustomStringConvertible {
    public var description: String { rupiah }
}
