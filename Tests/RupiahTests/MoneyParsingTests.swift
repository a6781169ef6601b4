import Testing
import Rupiah

@Suite("Money parsing: exact or refused")
struct MoneyParsingTests {
    @Test(arguments: [
        ("0", Int64(0)), ("0.00", 0), ("-9180", -918_000), ("9180.5", 918_050), ("1900000.00", 190_000_000),
        ("+12.30", 1_230), (".5", 50), ("7.", 700), ("9180.0000", 918_000), ("-0.01", -1),
        ("92233720368547758.07", Int64.max), ("-92233720368547758.08", Int64.min), ("0009180.5000", 918_050), ("-.05", -5),
        ("+0", 0), ("12.3", 1_230), ("0.010", 1),
    ])
    func readsNumericTextExactly(text: String, minorUnits: Int64) throws {
        #expect(try Money(exactText: text).minorUnits == minorUnits)
    }

    @Test(arguments: [
        "", "-", ".", "12abc", "1e3", "NaN", "Infinity", "1.234", "0.001", " 1", "1 ", "1.000.000",
        "1,5", "--1", "92233720368547758.08", "-92233720368547758.09", "١٢", "１２",
        "+", "-.", "1.2.3", "1.-2", String(repeating: "9", count: 65),
    ])
    func refusesWhatItCannotHoldExactly(text: String) {
        #expect(throws: MoneyParseError.self) { try Money(exactText: text) }
    }

    @Test func errorNamesTheTextAndTheReason() {
        do {
            _ = try Money(exactText: "9180.555")
            Issue.record("expected a refusal")
        } catch {
            #expect("\(error)".contains("9180.555"))
            #expect("\(error)".contains("rounding is not allowed"))
        }
    }
}

@Suite("Money arithmetic is checked")
struct MoneyArithmeticTests {
    @Test func addsAndSubtractsExactly() throws {
        let topUp = Money(rupiah: 10_000)
        let received = Money(rupiah: 9_180)
        #expect(try topUp.adding(received) == Money(rupiah: 19_180))
        #expect(try received.subtracting(topUp) == Money(rupiah: -820))
        #expect(try received.multiplied(by: 3) == Money(rupiah: 27_540))
    }

    @Test func overflowThrowsInsteadOfWrapping() {
        let huge = Money(minorUnits: .max)
        #expect(throws: MoneyOverflowError.self) { try huge.adding(Money(minorUnits: 1)) }
        #expect(throws: MoneyOverflowError.self) { try Money(minorUnits: .min).subtracting(Money(minorUnits: 1)) }
        #expect(throws: MoneyOverflowError.self) { try huge.multiplied(by: 2) }
        #expect(throws: MoneyOverflowError.self) { try Money(minorUnits: .min).negated() }
        #expect(throws: MoneyOverflowError.self) { try [huge, huge].checkedSum() }
    }

    @Test func sumsASequence() throws {
        let purchases = [150_000, 250_000].map { Money(rupiah: $0) }
        #expect(try purchases.checkedSum() == Money(rupiah: 400_000))
        #expect(try [Money]().checkedSum() == .zero)
    }
}

@Suite("Money for people and machines")
struct MoneyFormattingTests {
    @Test(arguments: [
        (Int64(190_000_000), "Rp 1.900.000"), (-918_000, "-Rp 9.180"), (918_050, "Rp 9.180,50"),
        (0, "Rp 0"), (5, "Rp 0,05"), (-1, "-Rp 0,01"), (100_000, "Rp 1.000"), (99_900, "Rp 999"),
        (100_000_000_000, "Rp 1.000.000.000"), (Int64.min, "-Rp 92.233.720.368.547.758,08"),
    ])
    func formatsRupiahAsWritten(minorUnits: Int64, text: String) {
        #expect(Money(minorUnits: minorUnits).rupiah == text)
    }

    @Test func exactTextRoundTrips() throws {
        for minorUnits: Int64 in [0, 1, -1, 99, 100, -918_000, 190_000_000, .max, .min] {
            let money = Money(minorUnits: minorUnits)
            #expect(try Money(exactText: money.exactText) == money)
        }
        #expect(Money(minorUnits: -918_000).exactText == "-9180.00")
        #expect(Money(minorUnits: 5).exactText == "0.05")
        #expect(Money(minorUnits: -5).exactText == "-0.05")
        #expect(Money(minorUnits: 0).exactText == "0.00")
        #expect(Money(minorUnits: .max).exactText == "92233720368547758.07")
        #expect(Money(minorUnits: .min).exactText == "-92233720368547758.08")
    }

    /// Against the plainest grouping there is (the digits of `String(whole)`, a dot before every
    /// third from the right): every power of ten and its neighbours, and a spread of others.
    @Test func groupsEveryMagnitudeAsThePlainestGroupingDoes() {
        func plain(_ minorUnits: Int64) -> String {
            let magnitude = minorUnits.magnitude
            let digits = Array(String(magnitude / 100))
            var grouped = ""
            for (index, digit) in digits.enumerated() {
                if index > 0, (digits.count - index) % 3 == 0 { grouped += "." }
                grouped.append(digit)
            }
            let sen = magnitude % 100
            return (minorUnits < 0 ? "-" : "") + "Rp " + grouped + (sen == 0 ? "" : (sen < 10 ? ",0" : ",") + String(sen))
        }
        for minorUnits in SpreadAmounts.minorUnits {
            #expect(Money(minorUnits: minorUnits).rupiah == plain(minorUnits), "\(minorUnits)")
        }
    }

    @Test func signedRupiahShowsDirection() {
        #expect(Money(rupiah: 9_180).signedRupiah == "+Rp 9.180")
        #expect(Money(rupiah: -9_180).signedRupiah == "-Rp 9.180")
        #expect(Money.zero.signedRupiah == "Rp 0")
    }
}

/// Signed documents hold amounts in `exactText`'s one spelling; `Money(canonicalExactText:)` reads
/// that spelling and nothing else, so no second spelling of an amount can hide in them.
@Suite("Money: canonical exact text, and only it")
struct MoneyCanonicalTextTests {
    static func read(_ text: String) -> Money? {
        Array(text.utf8).withUnsafeBytes { Money(canonicalExactText: $0) }
    }

    @Test func readsEveryAmountExactTextWrites() {
        for minorUnits in SpreadAmounts.minorUnits {
            let amount = Money(minorUnits: minorUnits)
            #expect(Self.read(amount.exactText) == amount, "\(amount.exactText)")
        }
    }

    @Test(arguments: [
        "", "0", "0.0", "0.000", "00.00", "-0.00", "+1.00", "01.00", "1.5", ".50", "1.", "1,00", " 1.00", "1.00 ", "1e2.00",
        "92233720368547758.08", "-92233720368547758.09", "100000000000000000000.00", "1.0a", "-", "-.00", "1..00", "１.００",
    ])
    func refusesEveryOtherSpelling(text: String) {
        #expect(Self.read(text) == nil, "\(text)")
    }
}

/// Amounts in sen for the tests that must hold at every magnitude: Int64's ends, every power of
/// ten and its neighbours, and 2,000 others spread over every magnitude by a fixed generator (so a
/// failure names a value that fails again).
enum SpreadAmounts {
    static let minorUnits: [Int64] = {
        var values: [Int64] = [.max, .min, .max - 1, .min + 1]
        var power: Int64 = 1
        for _ in 0...18 {
            values += [power - 1, power, power + 1, -power, -(power - 1), -(power + 1)]
            if power <= Int64.max / 10 { power *= 10 }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(Int64(bitPattern: state) >> Int64(state % 60))
        }
        return values
    }()
}
