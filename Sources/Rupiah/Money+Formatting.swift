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
        // Written backwards into one buffer, as exactText is (at most 28 bytes: "Rp ", 17 digits,
        // 5 dots, a comma and 2 digits): apply and show print one or two per line, a million
        // lines at a time.
        let (whole, sen) = wholeAndSen
        return String(unsafeUninitializedCapacity: 32) { buffer in
            var end = 32
            func put(_ byte: UInt8) { end -= 1; buffer[end] = byte }
            if sen != 0 {
                put(UInt8(ascii: "0") + UInt8(sen % 10))
                put(UInt8(ascii: "0") + UInt8(sen / 10))
                put(UInt8(ascii: ","))
            }
            var remaining = whole
            var digits = 0
            repeat {
                if digits > 0, digits % 3 == 0 { put(UInt8(ascii: ".")) }
                put(UInt8(ascii: "0") + UInt8(remaining % 10))
                remaining /= 10
                digits += 1
            } while remaining > 0
            for byte in " pR".utf8 { put(byte) }
            let count = 32 - end
            for index in 0..<count { buffer[index] = buffer[end + index] }
            return count
        }
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
}

extension Money: CustomStringConvertible {
    public var description: String { rupiah }
}
