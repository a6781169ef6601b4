import Crypto
import Foundation

/// A bundle read for apply without holding its lines: plan.json is read once in chunks, hashed
/// and checked against plan.sha256 exactly as `read` checks it; its fields are decoded with the
/// three line arrays left empty; the adjustments' bytes are copied on the way to a private,
/// already unlinked temporary file, from which apply decodes them a batch at a time. Holds and
/// settled lines, which apply does not use, are only hashed.
///
/// The copy is taken in the same pass that is hashed, so what apply decodes is what was checked,
/// whatever happens to plan.json afterwards.
public struct StreamedPlanBundle {
    /// The bundle, its plan without its lines (`adjustments`, `holds`, `settled` are empty).
    public let bundle: PlanBundle
    public let adjustments: PlanAdjustmentStream
}

/// The adjustments of a plan read by `PlanBundle.readStreaming`, decoded on demand.
public final class PlanAdjustmentStream: @unchecked Sendable {
    public var count: Int { starts.count - 1 }
    private let handle: FileHandle
    /// Where each element starts in the file; the last entry is the end of the last one.
    private let starts: [Int]
    private let planPath: String

    fileprivate init(handle: FileHandle, starts: [Int], planPath: String) {
        self.handle = handle
        self.starts = starts
        self.planPath = planPath
    }

    deinit {
        try? handle.close()
    }

    /// The lines `range` (in plan order), decoded.
    public func lines(_ range: Range<Int>) throws -> [AdjustmentLine] {
        guard !range.isEmpty else { return [] }
        try handle.seek(toOffset: UInt64(starts[range.lowerBound]))
        guard let bytes = try handle.read(upToCount: starts[range.upperBound] - starts[range.lowerBound]),
              bytes.count == starts[range.upperBound] - starts[range.lowerBound] else {
            throw RemedyError(.io, "the copy of \(planPath)'s adjustments could not be read back")
        }
        let base = starts[range.lowerBound]
        let decoder = UserFinding.makeDecoder()
        return try range.map { index in
            let element = bytes[bytes.startIndex + starts[index] - base ..< bytes.startIndex + starts[index + 1] - base]
            // CanonicalJSONReader first (JSONDecoder's result at a fraction of its cost), JSONDecoder if it gives up.
            if let line = element.withUnsafeBytes({ AdjustmentLine.read($0) }) { return line }
            do { return try decoder.decode(AdjustmentLine.self, from: element) } catch {
                throw RemedyError(.tampered, "\(planPath) is not a remedy plan: adjustment \(index + 1): \(error)")
            }
        }
    }

    /// Every line (for what needs them all at once, such as a standing policy's check).
    public func all() throws -> [AdjustmentLine] {
        try lines(0..<count)
    }
}

extension PlanBundle {
    /// Reads a bundle as `read` does (the same checks, the same refusals) but keeps only the
    /// adjustments, and those on disk: what apply needs, at any plan size.
    public static func readStreaming(_ path: String) throws -> StreamedPlanBundle {
        let planPath = path + "/" + planFile
        guard let input = FileHandle(forReadingAtPath: planPath) else {
            throw RemedyError(.io, "\(planPath) cannot be read; pass the directory `remedy plan` printed last")
        }
        defer { try? input.close() }
        let size = (try? input.seekToEnd()) ?? 0
        try input.seek(toOffset: 0)
        guard size <= UInt64(maxPlanBytes) else { throw RemedyError(.io, "\(planPath) is larger than any plan remedy writes") }

        // The copy of the adjustments: a temporary file removed at once, readable only through
        // this descriptor.
        let copyPath = NSTemporaryDirectory() + "remedy-apply-\(UUID().uuidString.lowercased())"
        guard FileManager.default.createFile(atPath: copyPath, contents: nil, attributes: [.posixPermissions: 0o600]),
              let copy = FileHandle(forUpdatingAtPath: copyPath) else {
            throw RemedyError(.io, "cannot create a temporary file in \(NSTemporaryDirectory())")
        }
        unlink(copyPath)

        var hasher = SHA256()
        var scanner = PlanScanner(copy: copy)
        while let chunk = try input.read(upToCount: PlanDocumentWriter.bufferSize), !chunk.isEmpty {
            hasher.update(data: chunk)
            try scanner.feed(chunk)
        }
        try scanner.finish()
        let digest = hasher.finalize().hexString
        let recorded = try recordedDigest(path)
        guard recorded == digest else {
            throw RemedyError(.tampered, "plan.json was changed after it was written: its digest is \(digest.prefix(16))…, the bundle records \(recorded.prefix(16))…; do not edit a plan, make a new one")
        }
        let plan: Plan
        do {
            guard scanner.isWellFormed else { throw RemedyError(.tampered, "its line arrays are not where a plan has them") }
            plan = try CanonicalJSON.decode(Plan.self, from: Data(scanner.skeleton))
        } catch {
            throw RemedyError(.tampered, "\(planPath) is not a remedy plan: \(error)")
        }
        guard plan.format == Plan.currentFormat else {
            throw RemedyError(.badInput, "\(planPath) is format \(plan.format); this remedy reads \(Plan.currentFormat)")
        }
        return StreamedPlanBundle(bundle: PlanBundle(path: path, plan: plan, digest: digest),
                                  adjustments: PlanAdjustmentStream(handle: copy, starts: scanner.starts, planPath: planPath))
    }
}

/// Walks plan.json's bytes once (strings and nesting respected): everything but the three line
/// arrays' contents goes to `skeleton` (so it decodes as the plan without its lines), and the
/// adjustments' elements are copied to `copy`, their offsets noted.
private struct PlanScanner {
    let copy: FileHandle
    var skeleton: [UInt8] = []
    var starts: [Int] = [0]
    private var copied: [UInt8] = []
    private var copiedTotal = 0
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var expectingKey = false
    private var key: [UInt8]?
    private var lastKey: [UInt8]?
    /// Inside one of the streamed arrays: which one (its elements are copied only for "adjustments").
    private var streaming: [UInt8]?
    private var streamingAdjustments = false
    private var elementOpen = false
    private var malformed = false
    private var seen: Set<[UInt8]> = []
    private static let adjustments = Array("adjustments".utf8)
    private static let streamedKeys = Set(PlanDocumentWriter.streamedKeys.map { Array($0.utf8) })

    init(copy: FileHandle) {
        self.copy = copy
        copied.reserveCapacity(PlanDocumentWriter.bufferSize)
    }

    var isWellFormed: Bool { !malformed && depth == 0 && !inString && seen.count == PlanScanner.streamedKeys.count }

    mutating func feed(_ chunk: Data) throws {
        chunk.withUnsafeBytes { raw in
            var index = 0
            while index < raw.count {
                // Inside a string of a streamed array, skip (or copy) the run up to the next quote or
                // backslash at once: most of a plan's bytes are such runs.
                if streaming != nil, inString, !escaped {
                    let start = index
                    while index < raw.count, raw[index] != UInt8(ascii: "\""), raw[index] != UInt8(ascii: "\\") { index += 1 }
                    if copyingElement { copied.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[start..<index])) }
                    copiedTotal += copyingElement ? index - start : 0
                    if index == raw.count { break }
                }
                step(raw[index])
                index += 1
            }
        }
        if copied.count >= PlanDocumentWriter.bufferSize { try flush() }
    }

    /// Inside an adjustment being copied.
    private var copyingElement: Bool { elementOpen && streamingAdjustments }

    mutating func finish() throws {
        try flush()
    }

    private mutating func flush() throws {
        guard !copied.isEmpty else { return }
        try copy.write(contentsOf: copied)
        copied.removeAll(keepingCapacity: true)
    }

    private mutating func step(_ byte: UInt8) {
        if streaming != nil {
            stepInArray(byte, copying: streamingAdjustments)
            return
        }
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
            if depth == 2, let name = lastKey, PlanScanner.streamedKeys.contains(name) {
                if !seen.insert(name).inserted { malformed = true }
                streaming = name
                streamingAdjustments = name == PlanScanner.adjustments
            }
            lastKey = nil
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth < 0 { malformed = true }
        case UInt8(ascii: ","):
            expectingKey = depth == 1
            lastKey = nil
        case UInt8(ascii: ":"):
            break
        default:
            // A value that is not an array ends the key's chance to be a streamed array.
            if byte > 0x20 { lastKey = nil }
        }
    }

    /// Inside a streamed array (depth 2 and deeper): elements are copied, "]" at depth 2 ends it.
    private mutating func stepInArray(_ byte: UInt8, copying: Bool) {
        if elementOpen, copying { copied.append(byte); copiedTotal += 1 }
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            return
        }
        switch byte {
        case UInt8(ascii: "\""):
            inString = true
            if depth == 2 { malformed = true }  // elements are objects
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            if depth == 2 {
                guard byte == UInt8(ascii: "{") else { malformed = true; depth += 1; return }
                elementOpen = true
                if copying { copied.append(byte); copiedTotal += 1 }
            }
            depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth == 2 {
                elementOpen = false
                if copying { starts.append(copiedTotal) }
            } else if depth == 1 {
                // The array's own "]" (its "[" is in the skeleton already).
                streaming = nil
                streamingAdjustments = false
                skeleton.append(UInt8(ascii: "]"))
            }
        default:
            if depth == 2, byte > 0x20, byte != UInt8(ascii: ",") { malformed = true }
        }
    }
}
