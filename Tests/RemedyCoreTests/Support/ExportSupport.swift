import Foundation
import Postgres
import Rupiah
import Testing
@testable import RemedyCore

/// A strict RFC 4180 reader for the tests: records end with CRLF (the last one too), a field is
/// either bare (no `"`, CR or LF in it) or quoted (`""` inside stands for `"`), and nothing may
/// follow a closing quote but the separator or the record's end. Anything else is an error.
struct StrictCSVReader {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ data: Data, separator: Unicode.Scalar, expectBOM: Bool) throws -> [[String]] {
        // String(decoding:) keeps a byte order mark (String(data:encoding:) would drop it silently).
        guard String(data: data, encoding: .utf8) != nil else { throw Malformed(description: "not UTF-8") }
        let text = String(decoding: data, as: UTF8.self)
        var scalars = Array(text.unicodeScalars)
        if expectBOM {
            guard scalars.first == "\u{FEFF}" else { throw Malformed(description: "no UTF-8 byte order mark") }
            scalars.removeFirst()
        } else if scalars.first == "\u{FEFF}" {
            throw Malformed(description: "an unexpected byte order mark")
        }
        var records: [[String]] = []
        var record: [String] = []
        var index = 0
        func fail(_ why: String) -> Malformed { Malformed(description: "\(why) at scalar \(index) (record \(records.count + 1))") }
        while index < scalars.count {
            var field = String.UnicodeScalarView()
            if scalars[index] == "\"" {
                index += 1
                while true {
                    guard index < scalars.count else { throw fail("unterminated quoted field") }
                    if scalars[index] == "\"" {
                        if index + 1 < scalars.count, scalars[index + 1] == "\"" {
                            field.append("\"")
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    field.append(scalars[index])
                    index += 1
                }
            } else {
                while index < scalars.count, scalars[index] != separator, scalars[index] != "\r" {
                    guard scalars[index] != "\"" else { throw fail("a quote inside a bare field") }
                    guard scalars[index] != "\n" else { throw fail("a bare LF (records must end with CRLF; fields with LF must be quoted)") }
                    field.append(scalars[index])
                    index += 1
                }
            }
            record.append(String(field))
            guard index < scalars.count else { throw fail("the last record does not end with CRLF") }
            if scalars[index] == separator {
                index += 1
                continue
            }
            guard scalars[index] == "\r", index + 1 < scalars.count, scalars[index + 1] == "\n" else {
                throw fail("expected the separator or CRLF after a field")
            }
            index += 2
            records.append(record)
            record = []
        }
        return records
    }

    /// The documented rule, reversed: a text cell that starts with an apostrophe loses exactly that one.
    static func original(_ cell: String) -> String {
        cell.unicodeScalars.first == "'" ? String(String.UnicodeScalarView(cell.unicodeScalars.dropFirst())) : cell
    }
}

/// Names that break naive exports: formula starters, separators, quotes, line breaks, markup, emoji.
enum HostileNames {
    static let usernames: [String] = [
        "=HYPERLINK(\"http://x.example\",\"klik\")",
        "+62 812-3456",
        "-9180",
        "@SUM(A1:A9)",
        "\tleading tab",
        "\rleading cr",
        "'already an apostrophe",
        "''=two apostrophes",
        "say \"hi\" \"\"twice\"\"",
        "comma, separated",
        "semi;colon;name",
        "line\nbreak",
        "crlf\r\nbreak",
        "dewi 🌸🇮🇩 lestari",
        "<img src=x onerror=alert(1)>",
        "<script>alert('x')</script> & \"friends\"",
        "\"\u{301}quote with a combining accent",
        "\u{202E}reversed",
    ]

    static let contacts: [String] = [
        "=1+1@example.com", "-@example.com", "+@x.example", "@home", "\t@tab.example", "a,b;c@example.com",
        "\"quoted\"@example.com", "new\nline@example.com", "<b>bold</b>@example.com", "o'brien@example.com",
    ]

    static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]
}

/// A harness shop whose planned users carry hostile names, planned, approved and (optionally) applied.
struct ExportFixture {
    let harness: PipelineHarness
    let bundle: PlanBundle
    /// user id → (username, email) as the database holds them.
    let renamed: [String: (username: String, email: String)]

    static func make(users: Int = 400, seed: UInt64 = 11, specDirectory: String? = nil, apply: Bool = true) throws -> (ExportFixture, ApplyReport?) {
        let harness = try PipelineHarness(users: users, seed: seed, specDirectory: specDirectory)
        // Which users get a line is known after a first plan; rename them, then plan for real.
        let scout = try harness.plan()
        let targets = scout.plan.adjustments.map(\.userId) + scout.plan.holds.map(\.userId)
        try #require(targets.count >= HostileNames.usernames.count, "the simulation plans enough users to rename")
        var renamed: [String: (String, String)] = [:]
        for (index, username) in HostileNames.usernames.enumerated() {
            let userId = targets[index]
            let email = HostileNames.contacts[index % HostileNames.contacts.count]
            try harness.connection.execute("UPDATE users SET username = $2, email = $3 WHERE id = $1::uuid", [userId, username, email])
            renamed[userId] = (username, email)
        }
        let bundle = try harness.plan()
        try harness.approve(bundle)
        let report = apply ? try harness.apply(bundle) : nil
        return (ExportFixture(harness: harness, bundle: try PlanBundle.read(bundle.path), renamed: renamed), report)
    }

    func document(database: Bool = true, redact: Bool = false) throws -> ExportDocument {
        try ExportBuilder(bundle: try PlanBundle.read(bundle.path), connection: database ? harness.connection : nil)
            .build(redaction: redact ? try RedactionKey.read(from: harness.connection) : nil)
    }
}

func moneyCell(_ cell: String, excel: Bool) throws -> Money? {
    if cell.isEmpty { return nil }
    return try Money(exactText: excel ? cell.replacingOccurrences(of: ",", with: ".") : cell)
}
