import Foundation
import Rupiah

/// Which CSV: plain RFC 4180 for machines and most tools, or what Excel in an Indonesian locale
/// opens directly (see runbooks/finance-signoff.md, "Excel").
public struct CSVDialect: Sendable, Equatable {
    public let separator: String
    public let byteOrderMark: Bool
    /// Amounts with a decimal comma (`-9180,00`): Indonesian Excel reads the dot as a thousands
    /// separator and the comma as the decimal point.
    public let decimalComma: Bool

    /// RFC 4180: `,` between fields, amounts `-9180.00`, no BOM.
    public static let standard = CSVDialect(separator: ",", byteOrderMark: false, decimalComma: false)
    /// Excel, id-ID: UTF-8 BOM, `;` between fields (the list separator), amounts `-9180,00`.
    public static let excel = CSVDialect(separator: ";", byteOrderMark: true, decimalComma: true)
}

/// One CSV cell. Only `.text` cells get the formula rule; amounts and integers are numbers.
public enum CSVCell: Sendable, Equatable {
    case text(String)
    /// An exact amount, or an empty cell when it does not apply.
    case amount(Money?)
    case integer(Int)
}

/// Writes RFC 4180 CSV: CRLF after every record (the header too), a field in double quotes when
/// it contains `"`, `,`, `;`, CR or LF, an embedded `"` doubled, UTF-8.
///
/// Formula injection: a text cell whose first character is `=`, `+`, `-`, `@`, tab or carriage
/// return, or an apostrophe, is written with one leading apostrophe `'`. Reading back: a text
/// cell that starts with `'` loses exactly that one apostrophe, and every other cell is as
/// written. (Apostrophe-led cells are prefixed too, so the rule is reversible: `'=x` in the data
/// is written `''=x`.) Amount cells are never prefixed: `-9180.00` is a number, not a formula,
/// and nothing but digits, one sign and one decimal mark is ever written there.
public struct CSVWriter {
    public let dialect: CSVDialect
    public private(set) var text = ""

    public init(dialect: CSVDialect) {
        self.dialect = dialect
        if dialect.byteOrderMark { text.unicodeScalars.append("\u{FEFF}") }
    }

    /// The first characters the formula rule prefixes, and the characters that make a field
    /// quoted. All ASCII, so they are matched on UTF-8 bytes: a byte below 0x80 is always a whole
    /// character's scalar, never part of another's. (Hashing every scalar into a set was a fifth of
    /// `export --format csv`.)
    static func startsFormula(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "'"): true
        default: false
        }
    }

    static func triggersQuotes(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): true
        default: false
        }
    }

    /// The text cell as written, before quoting: with the apostrophe where the rule asks for it.
    public static func neutralized(_ value: String) -> String {
        guard let first = value.utf8.first, startsFormula(first) else { return value }
        return "'" + value
    }

    public mutating func record(_ cells: [CSVCell]) {
        for (index, cell) in cells.enumerated() {
            if index > 0 { text += dialect.separator }
            text += field(cell)
        }
        text += "\r\n"
    }

    func field(_ cell: CSVCell) -> String {
        let raw: String
        switch cell {
        case .text(let value): raw = CSVWriter.neutralized(value)
        case .amount(let money?): raw = dialect.decimalComma ? money.exactText.replacingOccurrences(of: ".", with: ",") : money.exactText
        case .amount(nil): raw = ""
        case .integer(let value): raw = String(value)
        }
        guard raw.utf8.contains(where: CSVWriter.triggersQuotes) else { return raw }
        // Byte by byte: a quote followed by a combining mark is still a quote to double.
        var quoted: [UInt8] = [UInt8(ascii: "\"")]
        quoted.reserveCapacity(raw.utf8.count + 8)
        for byte in raw.utf8 {
            quoted.append(byte)
            if byte == UInt8(ascii: "\"") { quoted.append(byte) }
        }
        quoted.append(UInt8(ascii: "\""))
        return String(decoding: quoted, as: UTF8.self)
    }

    public var data: Data { Data(text.utf8) }

    /// The text written since the last call (the byte order mark with the first), for writing
    /// out as it is made.
    public mutating func take() -> String {
        defer { text = "" }
        return text
    }
}
