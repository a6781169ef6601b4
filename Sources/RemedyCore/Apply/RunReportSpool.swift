import Foundation

/// A run report's lines on their way to runs/RUN.json, without being held: each batch's lines,
/// once its transaction has committed, are written in their canonical JSON to one of three
/// anonymous temporary files beside the report (already applied, applied, skipped; unlinked once
/// open, so a killed run leaves none); the report is then assembled from them. Memory stays at
/// the spools' buffers whatever the plan's size.
final class RunReportSpool {
    /// The report's line sections, in the report's (sorted) key order.
    enum Section: Int, CaseIterable {
        case alreadyApplied, applied, skipped
    }

    private let sections: [SpoolFile]
    private var isDiscarded = false

    init(directory: String, runId: String) throws {
        var sections: [SpoolFile] = []
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for section in Section.allCases {
                sections.append(try SpoolFile(path: "\(directory)/.\(runId).\(section).spool", anonymous: true))
            }
        } catch {
            sections.forEach { $0.remove() }
            let reason = (error as? RemedyError)?.message ?? error.localizedDescription
            throw RemedyError(.io, "apply writes its run report into \(directory) and cannot write there (\(reason)); make it a directory apply can write in and run apply again")
        }
        self.sections = sections
    }

    deinit {
        discard()
    }

    func append(_ line: ApplyReport.Line) throws {
        var writer = CanonicalJSONWriter(capacity: 256)
        let section: Section
        switch line {
        case .alreadyApplied(let userId):
            writer.string(userId)
            section = .alreadyApplied
        case .applied(let applied):
            applied.write(to: &writer)
            section = .applied
        case .skipped(let skipped):
            skipped.write(to: &writer)
            section = .skipped
        }
        try sections[section.rawValue].append(writer.bytes)
    }

    /// Writes `report` with the spooled lines to `path` (ExportSink: a temporary file beside it,
    /// renamed into place when complete), a megabyte at a time, then removes the spools.
    /// `afterEachWrite` is the fault tests' hook (FaultInjection.reportWrite).
    func write(_ report: ApplyReport, toFile path: String, afterEachWrite: @escaping () throws -> Void = {}) throws {
        defer { discard() }
        let file = try ExportSink.file(path)
        // The canonical writer hands its bytes on without throwing: the first failure is kept.
        var failure: Error?
        let sink: (Data) -> Void = { bytes in
            guard failure == nil else { return }
            do {
                try file.write(bytes)
                try afterEachWrite()
            } catch { failure = error }
        }
        var writer = CanonicalJSONWriter(capacity: SpoolFile.bufferSize)
        report.write(to: &writer) { section, writer in
            writer.raw([UInt8(ascii: "[")])
            writer.drain { sink(Data($0)) }
            do { try sections[section.rawValue].replay(sink) } catch { failure = failure ?? error }
            writer.raw([UInt8(ascii: "]")])
        }
        writer.drain { sink(Data($0)) }
        if let failure { throw failure }
        try file.finish()
    }

    /// Removes the temporary files. Safe to call more than once.
    func discard() {
        guard !isDiscarded else { return }
        isDiscarded = true
        sections.forEach { $0.remove() }
    }
}
