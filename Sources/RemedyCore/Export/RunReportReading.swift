import Foundation

/// One run report (runs/RUN.json) read a megabyte at a time, its lines handed on one by one and
/// never held: at a million users a report holds a line per correction (150,000 and more).
///
/// A report is what apply writes, in remedy's canonical form (CanonicalJSONWriter): every line is
/// read by CanonicalJSONReader, written again and must give its very bytes; the fields around the
/// three line arrays are decoded, encoded again (arrays empty) and must give theirs. Anything else
/// is not a report of apply's: nil, and the export names the file.
enum RunReportReading {
    enum Line {
        case alreadyApplied(String)
        case applied(ApplyReport.Applied)
        case skipped(ApplyReport.Skipped)
    }

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

    /// The report without its lines (`applied`, `alreadyApplied`, `skipped` empty), or nil if the
    /// file is not a canonical apply report; `onLine` has then been given the lines before the fault.
    static func read(path: String, _ onLine: (Line) -> Void) -> ApplyReport? {
        guard let input = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? input.close() }
        var scanner = RunReportScanner()
        do {
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                try scanner.feed(chunk, onLine)
            }
        } catch {
            return nil
        }
        guard scanner.closed, scanner.seen.count == RunReportScanner.sections.count,
              let report = try? CanonicalJSON.decode(ApplyReport.self, from: Data(scanner.skeleton)),
              report.applied.isEmpty, report.alreadyApplied.isEmpty, report.skipped.isEmpty else { return nil }
        var writer = CanonicalJSONWriter()
        report.write(to: &writer)
        return writer.bytes == scanner.skeleton ? report : nil
    }
}

/// Not a canonical report: the reading stops.
private struct NotAReport: Error {}

/// Walks a report's bytes once, strings and nesting respected. Everything but the elements of
/// `already_applied`, `applied` and `skipped` goes to `skeleton`; each element is read, written
/// again, compared and handed on. Canonical form has no whitespace, so none is allowed.
private struct RunReportScanner {
    static let sections = ["already_applied", "applied", "skipped"].map { Array($0.utf8) }

    var skeleton: [UInt8] = []
    var seen: Set<Int> = []
    var closed = false
    /// Only count the elements (`counted`), without reading them.
    var countingOnly = false
    private(set) var counted = 0

    private var depth = 0
    private var inString = false
    private var escaped = false
    private var expectingKey = false
    private var key: [UInt8]?
    private var lastKey: [UInt8]?
    /// Inside one of the line arrays: which (an index of `sections`).
    private var section: Int?
    private var expectingElement = true
    private var element: [UInt8] = []
    private var elementOpen = false
    private var writer = CanonicalJSONWriter()

    mutating func feed(_ chunk: Data, _ onLine: (RunReportReading.Line) -> Void) throws {
        for byte in chunk { try step(byte, onLine) }
    }

    private mutating func step(_ byte: UInt8, _ onLine: (RunReportReading.Line) -> Void) throws {
        if closed { throw NotAReport() }
        if let section { try stepInSection(section, byte, onLine); return }
        skeleton.append(byte)
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                inString = false
                if let finished = key { lastKey = finished; key = nil }
            } else if key != nil {
                key!.append(byte)
            }
            return
        }
        switch byte {
        case UInt8(ascii: "\""):
            inString = true
            if depth == 1, expectingKey { key = []; expectingKey = false }
        case UInt8(ascii: "{"):
            depth += 1
            expectingKey = depth == 1
        case UInt8(ascii: "["):
            depth += 1
            if depth == 2, let name = lastKey, let found = Self.sections.firstIndex(of: name) {
                guard seen.insert(found).inserted else { throw NotAReport() }
                section = found
                expectingElement = true
            }
            lastKey = nil
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth < 0 { throw NotAReport() }
            if depth == 0 { closed = true }
        case UInt8(ascii: ","):
            expectingKey = depth == 1
            lastKey = nil
        case UInt8(ascii: ":"):
            break
        default:
            // A value that is not an array ends the key's chance to name a line array.
            lastKey = nil
        }
    }

    /// Inside a line array: an element (an object, or a user id's string in `already_applied`),
    /// `,` between elements, `]` at the end; nothing else.
    private mutating func stepInSection(_ section: Int, _ byte: UInt8, _ onLine: (RunReportReading.Line) -> Void) throws {
        if elementOpen {
            element.append(byte)
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if depth == 2 { try finishElement(section, onLine) }
                }
                return
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 2 { try finishElement(section, onLine) }
            default: break
            }
            return
        }
        switch byte {
        case UInt8(ascii: "{") where expectingElement && section != 0, UInt8(ascii: "\"") where expectingElement && section == 0:
            elementOpen = true
            element.removeAll(keepingCapacity: true)
            element.append(byte)
            if byte == UInt8(ascii: "{") { depth += 1 } else { inString = true }
        case UInt8(ascii: ",") where !expectingElement:
            expectingElement = true
        case UInt8(ascii: "]") where !expectingElement || element.isEmpty:
            depth -= 1
            self.section = nil
            element.removeAll(keepingCapacity: true)
            skeleton.append(byte)
        default:
            throw NotAReport()
        }
    }

    /// Reads the element just gathered, writes it again, compares, hands the line on.
    private mutating func finishElement(_ section: Int, _ onLine: (RunReportReading.Line) -> Void) throws {
        elementOpen = false
        expectingElement = false
        counted += 1
        if countingOnly { return }
        guard let node = element.withUnsafeBytes({ CanonicalJSONReader.parse($0) }) else { throw NotAReport() }
        writer.removeAll()
        let line: RunReportReading.Line
        switch section {
        case 0:
            guard case .string(let userId) = node else { throw NotAReport() }
            writer.string(userId)
            line = .alreadyApplied(userId)
        case 1:
            guard let applied = ApplyReport.Applied(node: node) else { throw NotAReport() }
            applied.write(to: &writer)
            line = .applied(applied)
        default:
            guard let skipped = ApplyReport.Skipped(node: node) else { throw NotAReport() }
            skipped.write(to: &writer)
            line = .skipped(skipped)
        }
        guard writer.bytes == element else { throw NotAReport() }
        onLine(line)
    }
}
