import Rupiah
import Testing
@testable import RemedyCore

/// CSVWriter's two rules, byte for byte: a formula-starting text cell gets one apostrophe, and a
/// field holding a quote, separator or line break is quoted with its quotes doubled. Matched on
/// UTF-8 bytes: what is around the ASCII it looks for (accents, combining marks, emoji) is copied
/// as it is.
@Suite("CSV: formula prefix and quoting")
struct CSVWriterTests {
    @Test(arguments: [
        ("andi", "andi"),
        ("a,b", "\"a,b\""),
        ("a;b", "\"a;b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("\"\u{301}accent on a quote", "\"\"\"\u{301}accent on a quote\""),
        ("line\r\nbreak", "\"line\r\nbreak\""),
        ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
        ("+62 812", "'+62 812"),
        ("-1", "'-1"),
        ("@sum", "'@sum"),
        ("\tTab", "'\tTab"),
        ("\rCR", "\"'\rCR\""),
        ("'=x", "''=x"),
        ("é=x", "é=x"),
        ("🌸, dewi", "\"🌸, dewi\""),
        ("", ""),
    ])
    func textCells(raw: String, written: String) {
        #expect(CSVWriter(dialect: .standard).field(.text(raw)) == written)
    }

    @Test func amountsAndIntegersAreNeverPrefixed() throws {
        let standard = CSVWriter(dialect: .standard), excel = CSVWriter(dialect: .excel)
        let amount = try Money(exactText: "-9180.00")
        #expect(standard.field(.amount(amount)) == "-9180.00")
        // Either separator quotes a field in either dialect (safe for a tool that guesses the
        // separator), so the Excel dialect's decimal comma is quoted too.
        #expect(excel.field(.amount(amount)) == "\"-9180,00\"")
        #expect(standard.field(.amount(nil)) == "")
        #expect(standard.field(.integer(-3)) == "-3")
    }
}
