import Foundation
import Testing
@testable import RemedyCore
import Rupiah

/// Export trusts a run report only in the very bytes apply writes: a report read a line at a time
/// gives its lines, and any document not in that form is not read at all (no database needed).
@Suite("Export: a run report not in apply's form is not read")
struct RunReportFormTests {
    /// A report with a line of each kind; its strings hold brackets, a quote and a backslash,
    /// which end nothing.
    static let report: ApplyReport.Document = {
        var header = ApplyReport(runId: "r1", planDigest: "d1", job: "j", operatorName: "o", approvers: ["a"], startedAt: "s", finishedAt: "f")
        header.takenBack = Money(minorUnits: 250)
        var report = ApplyReport.Document(report: header)
        report.applied = [
            ApplyReport.Applied(userId: "u1", label: #"x"]},{\"#, balanceBefore: Money(minorUnits: 300), balanceAfter: Money(minorUnits: 100),
                                delta: Money(minorUnits: -200), receivable: .zero),
            ApplyReport.Applied(userId: "u2", label: "y", balanceBefore: Money(minorUnits: 50), balanceAfter: .zero, delta: Money(minorUnits: -50),
                                receivable: Money(minorUnits: 25)),
        ]
        report.alreadyApplied = [#"u3"],["#]
        report.skipped = [ApplyReport.Skipped(userId: "u4", label: "z", reason: .stale, plannedExcess: Money(minorUnits: 10), currentExcess: nil,
                                              currentBalance: Money(minorUnits: 7))]
        return report
    }()

    static func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "remedy-run-report-\(UUID().uuidString).json"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func canonical() throws -> String {
        String(decoding: try report.writtenByApply(), as: UTF8.self)
    }

    @Test func theReportAsApplyWritesItIsReadLineByLine() throws {
        let path = try Self.write(try Self.canonical())
        defer { try? FileManager.default.removeItem(atPath: path) }
        var lines = (applied: [ApplyReport.Applied](), alreadyApplied: [String](), skipped: [ApplyReport.Skipped]())
        let read = try #require(RunReportReading.read(path: path) { line in
            switch line {
            case .applied(let applied): lines.applied.append(applied)
            case .alreadyApplied(let userId): lines.alreadyApplied.append(userId)
            case .skipped(let skipped): lines.skipped.append(skipped)
            }
        })
        #expect(lines.applied == Self.report.applied && lines.alreadyApplied == Self.report.alreadyApplied && lines.skipped == Self.report.skipped)
        #expect(read.runId == "r1" && read.takenBack == Money(minorUnits: 250) && read.path == path)
        #expect(read.counts.applied == 2 && read.counts.alreadyApplied == 1 && read.counts.skippedByReason == [.stale: 1])
        #expect(RunReportReading.countLines(path: path) == 4)
    }

    /// Each change keeps the report a JSON document that JSONDecoder reads, or nearly.
    static func change(_ what: String, _ text: String) -> String {
        func replacing(_ target: String, _ replacement: String) -> String { text.replacingOccurrences(of: target, with: replacement) }
        switch what {
        case "bytes after the end": return text + "\n"
        case "cut short": return String(text.dropLast())
        case "a bracket closed twice at the end": return text + "}"
        case "a line array twice": return replacing(#""approvers":"#, #""skipped":[],"approvers":"#)
        case "a line array missing": return replacing(#","skipped":[{"#, #","skippeq":[{"#)
        case "whitespace before a line array": return replacing(#""applied":["#, #""applied": ["#)
        case "whitespace between lines": return replacing(#"},{"balance_after""#, #"}, {"balance_after""#)
        case "a comma before the end of a line array": return replacing(#"}],"approvers""#, #"},],"approvers""#)
        case "a comma first in a line array": return replacing(#""applied":[{"#, #""applied":[,{"#)
        case "an object where a user id belongs": return replacing(#""already_applied":["#, #""already_applied":[{},"#)
        case "a user id where a line belongs": return replacing(#""applied":["#, #""applied":["u0","#)
        case "a line not canonical": return replacing(#""user_id":"u2""#, #""user_id":"\u0075""#)
        case "a line not a line": return replacing(#""user_id":"u2""#, #""user_iq":"u2""#)
        case "a field outside the lines not canonical": return replacing(#""job":"j""#, #""job":"\u006a""#)
        case "a skipped line's missing amount written as null": return replacing(#","label":"z""#, #","current_excess":null,"label":"z""#)
        case "a skipped line's amount not exact": return replacing(#","label":"z""#, #","current_excess":"0.071","label":"z""#)
        default: return text
        }
    }

    @Test(arguments: [
        "bytes after the end", "cut short", "a bracket closed twice at the end", "a line array twice", "a line array missing",
        "whitespace before a line array", "whitespace between lines", "a comma before the end of a line array",
        "a comma first in a line array", "an object where a user id belongs", "a user id where a line belongs",
        "a line not canonical", "a line not a line", "a field outside the lines not canonical",
        "a skipped line's missing amount written as null", "a skipped line's amount not exact",
    ])
    func aChangedReportIsNotRead(what: String) throws {
        let canonical = try Self.canonical()
        let changed = Self.change(what, canonical)
        try #require(changed != canonical, "\(what): the change did not apply")
        let path = try Self.write(changed)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(RunReportReading.read(path: path) { _ in } == nil, "\(what)")
    }
}
