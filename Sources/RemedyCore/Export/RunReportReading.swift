import Foundation

/// One run report (runs/RUN.json) read a megabyte at a time, its lines handed on one by one and
/// never held: at a million users a report holds a line per correction (150,000 and more).
///
/// A report is what apply writes, in remedy's canonical form (CanonicalJSONWriter): every line is
/// read by CanonicalJSONReader, which takes only those bytes, and so are the fields around the
/// three line arrays. Anything else is not a report of apply's: nil, and the export names the file.
enum RunReportReading {
    /// How many lines the report holds (nil if it cannot be walked), found without reading them:
    /// what the lines are kept in is then made once, at its size.
    static func countLines(path: String) -> Int? {
        guard let input = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? input.close() }
        var scanner = RunReportScanner()
        scanner.countingOnly = true
        do {
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                try scanner.feed(chunk) { _ in }
            }
        } catch {
            return nil
        }
        return scanner.counted
    }

    /// The report (its `counts` those of the lines read, its `path` this file), or nil if the file
    /// is not a canonical apply report; `onLine` has then been given the lines before the fault.
    static func read(path: String, _ onLine: (ApplyReport.Line) -> Void) -> ApplyReport? {
        guard let input = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? input.close() }
        var scanner = RunReportScanner()
        var counts = ApplyReport.Counts()
        do {
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                try scanner.feed(chunk) { line in
                    counts.count(line)
                    onLine(line)
                }
            }
        } catch {
            return nil
        }
        guard scanner.closed, scanner.seen.count == RunReportScanner.sections.count,
              var report = scanner.skeleton.withUnsafeBytes(ApplyReport.read) else { return nil }
        report.counts = counts
        report.path = path
        return report
    }
}

/// Not a canonical report: the reading stops.
private struct NotAReport: Error {}

/// Walks a report's bytes once (LineArrayScanner: strings and nesting respected). Everything but
/// the elements of `already_applied`, `applied` and `skipped` goes to `skeleton`; each element is
/// read in canonical form and handed on. Canonical form has no whitespace, so none is allowed.
private struct RunReportScanner {
    /// Line arrays 0 already_applied (user ids), 1 applied, 2 skipped (objects).
    static let sections: [(name: String, elementOpener: Character)] = [("already_applied", "\""), ("applied", "{"), ("skipped", "{")]

    private var walk = LineArrayScanner(sections: sections)
    var skeleton: [UInt8] { walk.skeleton }
    var seen: Set<Int> { walk.seen }
    var closed: Bool { walk.closed }
    /// Only count the elements (`counted`), without reading them.
    var countingOnly = false
    private(set) var counted = 0

    mutating func feed(_ chunk: Data, _ onLine: (ApplyReport.Line) -> Void) throws {
        try chunk.withUnsafeBytes { raw in
            var index = 0
            while index < raw.count {
                let (end, closedSection) = walk.gatherElement(in: raw, from: index)
                index = end
                if let closedSection {
                    try finishElement(closedSection, onLine)
                    continue
                }
                if index == raw.count { break }
                do { _ = try walk.step(raw[index]) } catch { throw NotAReport() }
                index += 1
            }
        }
    }

    /// Reads the element just gathered (canonical form only) and hands the line on.
    private mutating func finishElement(_ section: Int, _ onLine: (ApplyReport.Line) -> Void) throws {
        counted += 1
        if countingOnly { return }
        let read: ApplyReport.Line? = walk.element.withUnsafeBytes { bytes in
            switch section {
            case 0: (try? CanonicalJSONReader.read(bytes) { $0.string() }.get()).map { .alreadyApplied($0) }
            case 1: ApplyReport.Applied.read(bytes).map { .applied($0) }
            default: ApplyReport.Skipped.read(bytes).map { .skipped($0) }
            }
        }
        guard let read else { throw NotAReport() }
        onLine(read)
    }
}
