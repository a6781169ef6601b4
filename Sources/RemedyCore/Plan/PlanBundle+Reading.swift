import Crypto
import Foundation
import Rupiah

/// The one way every command reads a plan bundle (show, approve, apply, verify, export, revert,
/// acknowledge): what approvers are shown and what apply moves come from the same bytes through the
/// same reader, so a file crafted to read one way here and another way there cannot exist.
///
/// plan.json is read once, in chunks, hashed and checked against plan.sha256. It must be in
/// remedy's canonical form, byte for byte: the fields outside the three line arrays are decoded and
/// encoded again and must give the same bytes, and so must every line (CanonicalJSONReader, then
/// CanonicalJSONWriter). Escapes where none are needed, repeated or unknown keys, another key order,
/// whitespace, trailing bytes: each is refused naming the byte offset. Then the stored totals must be
/// the totals of the lines, every line's arithmetic must hold (AdjustmentLine+Rules), a read
/// replica's position, where the plan records one (`read_replica`, absent from plans made on the
/// primary; never `null`), must be in the form remedy writes, and the planner's signature must sign
/// the digest (PlannerSignature). Nothing is read from or written to
/// a database before all of this passed.
extension PlanBundle {
    /// The whole plan, every line in memory.
    public static func read(_ path: String) throws -> PlanBundle {
        var lines = PlanLines()
        let header = try PlanReading(path: path, copies: [nil, nil, nil]).run { lines.add($0) }
        var plan = header.plan
        plan.adjustments = lines.adjustments
        plan.holds = lines.holds
        plan.settled = lines.settled
        try AdjustmentLine.checkRules(of: plan.adjustments, in: plan)
        return PlanBundle(path: path, plan: plan, digest: header.digest)
    }

    /// The same reading and the same refusals, keeping only the adjustments, and those on disk:
    /// what apply needs, at any plan size. With `keepingHoldsAndSettled`, the holds and settled
    /// lines are copied to disk too (export reads every line twice, a batch at a time).
    public static func readStreaming(_ path: String, keepingHoldsAndSettled: Bool = false) throws -> StreamedPlanBundle {
        try readStreaming(path, keepingHoldsAndSettled: keepingHoldsAndSettled, rulesBatchLines: PlanAdjustmentStream.checkBatch)
    }

    /// `rulesBatchLines`: lines per batch of the rules' check (tests make it small to check the
    /// refusal is the first broken line's whichever worker finds it).
    static func readStreaming(_ path: String, keepingHoldsAndSettled: Bool, rulesBatchLines: Int) throws -> StreamedPlanBundle {
        // The copies: temporary files removed at once, readable only through their descriptors,
        // so what is decoded later is what was checked now.
        let copies = [try temporaryCopy(), keepingHoldsAndSettled ? try temporaryCopy() : nil, keepingHoldsAndSettled ? try temporaryCopy() : nil]
        var starts: [[Int]] = [[0], [0], [0]]
        let header = try PlanReading(path: path, copies: copies).run { line in
            switch line {
            case .adjustment(_, let end): starts[0].append(end)
            case .hold(_, let end?): starts[1].append(end)
            case .settled(_, let end?): starts[2].append(end)
            case .hold, .settled: break
            }
        }
        let planPath = path + "/" + planFile
        let stream = PlanAdjustmentStream(handle: copies[0]!, starts: starts[0], planPath: planPath, what: "adjustment", decode: AdjustmentLine.read)
        try checkRules(of: stream, in: header.plan, batchLines: rulesBatchLines)
        return StreamedPlanBundle(
            bundle: PlanBundle(path: path, plan: header.plan, digest: header.digest), adjustments: stream,
            holds: copies[1].map { PlanLineStream(handle: $0, starts: starts[1], planPath: planPath, what: "hold", decode: HeldLine.read) },
            settled: copies[2].map { PlanLineStream(handle: $0, starts: starts[2], planPath: planPath, what: "settled line", decode: SettledLine.read) })
    }

    /// Every adjustment's rules, a batch of lines at a time on each core (the copy is read with
    /// positional reads, so the workers share it); the refusal names the first broken line, as a
    /// serial pass would.
    private static func checkRules(of stream: PlanAdjustmentStream, in plan: Plan, batchLines batch: Int) throws {
        precondition(batch > 0)
        let batches = (stream.count + batch - 1) / batch
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4, batches))
        final class FirstRefusal: @unchecked Sendable {
            let lock = NSLock()
            var refusal: (batch: Int, error: Error)?
            func record(_ batch: Int, _ error: Error) {
                lock.withLock { if refusal.map({ batch < $0.batch }) ?? true { refusal = (batch, error) } }
            }
            func isBefore(_ batch: Int) -> Bool { lock.withLock { refusal.map { $0.batch < batch } ?? false } }
        }
        let first = FirstRefusal()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            // Worker w checks batches w, w + workers, …; each stops at its first refusal or once an
            // earlier batch is refused, so the earliest refusal is always found.
            for index in stride(from: worker, to: batches, by: workers) where !first.isBefore(index) {
                let start = index * batch
                do {
                    try AdjustmentLine.checkRules(of: try stream.lines(start..<min(start + batch, stream.count)), in: plan, firstIndex: start)
                } catch {
                    first.record(index, error)
                    return
                }
            }
        }
        if let refusal = first.refusal { throw refusal.error }
    }

    private static func temporaryCopy() throws -> FileHandle {
        let copyPath = NSTemporaryDirectory() + "remedy-plan-lines-\(UUID().uuidString.lowercased())"
        guard FileManager.default.createFile(atPath: copyPath, contents: nil, attributes: [.posixPermissions: 0o600]),
              let copy = FileHandle(forUpdatingAtPath: copyPath) else {
            throw RemedyError(.io, "cannot create a temporary file in \(NSTemporaryDirectory())")
        }
        unlink(copyPath)
        return copy
    }
}

/// A bundle read without holding its lines (`PlanBundle.readStreaming`).
public struct StreamedPlanBundle {
    /// The bundle, its plan without its lines (`adjustments`, `holds`, `settled` are empty).
    public let bundle: PlanBundle
    public let adjustments: PlanAdjustmentStream
    /// Kept only when asked for (`keepingHoldsAndSettled`).
    public let holds: PlanLineStream<HeldLine>?
    public let settled: PlanLineStream<SettledLine>?
}

public typealias PlanAdjustmentStream = PlanLineStream<AdjustmentLine>

/// One section of a plan read by `PlanBundle.readStreaming`, decoded on demand from the copy
/// taken while it was checked.
public final class PlanLineStream<Line>: @unchecked Sendable {
    /// Lines decoded at a time when every line's rules are checked.
    static var checkBatch: Int { 1_000 }
    public var count: Int { starts.count - 1 }
    private let handle: FileHandle
    /// Where each element starts in the copy; the last entry is the end of the last one.
    private let starts: [Int]
    private let planPath: String
    private let what: String
    private let decode: (UnsafeRawBufferPointer) -> Line?

    fileprivate init(handle: FileHandle, starts: [Int], planPath: String, what: String, decode: @escaping (UnsafeRawBufferPointer) -> Line?) {
        self.handle = handle
        self.starts = starts
        self.planPath = planPath
        self.what = what
        self.decode = decode
    }

    deinit {
        try? handle.close()
    }

    /// The lines `range` (in plan order), decoded. Safe from several threads at once: the copy is
    /// read with positional reads (pread), never by moving a shared file offset.
    public func lines(_ range: Range<Int>) throws -> [Line] {
        guard !range.isEmpty else { return [] }
        let length = starts[range.upperBound] - starts[range.lowerBound]
        var bytes = [UInt8](repeating: 0, count: length)
        let read = bytes.withUnsafeMutableBytes { buffer -> Int in
            var done = 0
            while done < length {
                let count = pread(handle.fileDescriptor, buffer.baseAddress! + done, length - done, off_t(starts[range.lowerBound] + done))
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                done += count
            }
            return done
        }
        guard read == length else {
            throw RemedyError(.io, "the copy of \(planPath)'s \(what)s could not be read back")
        }
        let base = starts[range.lowerBound]
        return try bytes.withUnsafeBytes { buffer in
            try range.map { index in
                let element = UnsafeRawBufferPointer(rebasing: buffer[(starts[index] - base)..<(starts[index + 1] - base)])
                // Checked canonical when the copy was taken: the same reader gives the same line.
                guard let line = decode(element) else {
                    throw RemedyError(.invariant, "\(what) \(index + 1) of \(planPath) no longer reads as it did when it was checked")
                }
                return line
            }
        }
    }

    /// Every line, a batch of `batchLines` at a time, in plan order.
    public func forEachBatch(of batchLines: Int, _ body: ([Line]) throws -> Void) throws {
        for start in stride(from: 0, to: count, by: batchLines) {
            try body(try lines(start..<min(start + batchLines, count)))
        }
    }

    /// Every line (for what needs them all at once, such as a standing policy's check).
    public func all() throws -> [Line] {
        try lines(0..<count)
    }
}

/// One line as the reading pass hands it on.
enum PlanLine {
    /// An adjustment, and where its copy ends (when a copy is taken).
    case adjustment(AdjustmentLine?, copyEnd: Int)
    /// Holds and settled lines are always handed on decoded; the copy's end when one is taken.
    case hold(HeldLine, copyEnd: Int?)
    case settled(SettledLine, copyEnd: Int?)
}

/// Lines gathered in memory by `PlanBundle.read`.
private struct PlanLines {
    var adjustments: [AdjustmentLine] = []
    var holds: [HeldLine] = []
    var settled: [SettledLine] = []

    mutating func add(_ line: PlanLine) {
        switch line {
        case .adjustment(let line, _): if let line { adjustments.append(line) }
        case .hold(let line, _): holds.append(line)
        case .settled(let line, _): settled.append(line)
        }
    }
}

/// One pass over plan.json: hash, canonical form, lines handed on, totals recomputed.
private struct PlanReading {
    let path: String
    /// Where each section's bytes go (adjustments, holds, settled); nil to hand on decoded lines only.
    let copies: [FileHandle?]

    init(path: String, copies: [FileHandle?]) {
        self.path = path
        self.copies = copies
    }

    var planPath: String { path + "/" + PlanBundle.planFile }

    func run(_ onLine: (PlanLine) throws -> Void) throws -> (plan: Plan, digest: String) {
        guard let input = FileHandle(forReadingAtPath: planPath) else {
            throw RemedyError(.io, "\(planPath) cannot be read; pass the directory `remedy plan` printed last")
        }
        defer { try? input.close() }
        let size = (try? input.seekToEnd()) ?? 0
        try input.seek(toOffset: 0)
        guard size <= UInt64(PlanBundle.maxPlanBytes) else { throw RemedyError(.io, "\(planPath) is larger than any plan remedy writes") }

        var hasher = SHA256()
        var refusal: CanonicalFormError?
        let scanner = try withoutActuallyEscaping(onLine) { onLine in
            var scanner = CanonicalPlanScanner(copies: copies, onLine: onLine)
            while let chunk = try input.read(upToCount: PlanDocumentWriter.bufferSize), !chunk.isEmpty {
                hasher.update(data: chunk)
                // After the first fault the rest is only hashed: a changed digest is the clearer refusal.
                guard refusal == nil else { continue }
                do { try scanner.feed(chunk) } catch let error as CanonicalFormError { refusal = error }
            }
            if refusal == nil {
                do { try scanner.finish() } catch let error as CanonicalFormError { refusal = error }
            }
            return scanner.detached()
        }
        let digest = hasher.finalize().hexString
        let recorded = try PlanBundle.recordedDigest(path)
        guard recorded == digest else {
            throw RemedyError(.tampered, "plan.json was changed after it was written: its digest is \(digest.prefix(16))…, the bundle records \(recorded.prefix(16))…; do not edit a plan, make a new one")
        }
        if let refusal { throw refused(refusal) }

        let plan: Plan
        do { plan = try CanonicalJSON.decode(Plan.self, from: Data(scanner.skeleton)) } catch {
            throw refused(CanonicalFormError(offset: 0, what: "its fields are not a remedy plan's (\(error))"))
        }
        guard plan.format == Plan.currentFormat else {
            throw RemedyError(.badInput, "\(planPath) is format \(plan.format); this remedy reads \(Plan.currentFormat)")
        }
        let encoded = [UInt8](try CanonicalJSON.encode(plan))
        if let at = firstDifference(encoded, scanner.skeleton) {
            throw refused(CanonicalFormError(offset: scanner.fileOffset(ofSkeletonOffset: at), what: "the plan's fields differ from their canonical encoding"))
        }
        try scanner.totals.requireEqual(to: plan.totals, in: planPath)
        if let replica = plan.readReplica, !replica.isWellFormed {
            throw RemedyError(.tampered, "\(planPath) records a read replica position remedy never writes (server \"\(replica.server.prefix(60))\", replay LSN \"\(replica.replayLsn.prefix(40))\"); make a new plan")
        }
        try PlannerSignature.load(path).verify(planDigest: digest, plan: plan)
        try PlanBundle.verifyEvidence(of: plan, at: path)
        return (plan, digest)
    }

    private func refused(_ error: CanonicalFormError) -> RemedyError {
        RemedyError(.tampered, "\(planPath) is not a remedy plan in remedy's canonical form: at byte \(error.offset), \(error.what); remedy never writes such a file: make a new plan")
    }
}

/// A fault in plan.json's form, at a byte offset of the file.
struct CanonicalFormError: Error {
    let offset: Int
    let what: String
}

/// The first index where two byte sequences differ (a prefix differs at the shorter's end).
func firstDifference(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Int? {
    var index = 0
    var left = a.makeIterator()
    var right = b.makeIterator()
    while true {
        switch (left.next(), right.next()) {
        case (nil, nil): return nil
        case (let x?, let y?) where x == y: index += 1
        default: return index
        }
    }
}

/// Walks plan.json's bytes once (LineArrayScanner: strings and nesting respected). Everything but
/// the three line arrays' elements goes to `skeleton`, which must then be the canonical encoding of
/// the plan without its lines. Inside the arrays the separators must be exactly remedy's
/// (`[{…},{…}]`), and each element is read, written again and compared, its line handed on and
/// counted in `totals`. Every fault names its byte offset in the file.
private struct CanonicalPlanScanner {
    let copies: [FileHandle?]
    private var onLine: (PlanLine) throws -> Void
    /// Line arrays 0 adjustments, 1 holds, 2 settled; their elements are objects.
    private var walk = LineArrayScanner(sections: PlanDocumentWriter.streamedKeys.map { ($0, "{") })
    var skeleton: [UInt8] { walk.skeleton }
    var totals = RecomputedTotals()
    /// (skeleton offset, bytes left out of the skeleton there): to name a skeleton fault's file offset.
    private var removed: [(skeletonOffset: Int, bytes: Int)] = []

    private var offset = 0
    /// Where the current line array's content began in the file.
    private var sectionStart = 0
    /// Where the element being gathered started in the file.
    private var elementStart = 0
    private var indexInSection = 0
    /// Per section: bytes waiting to be written to its copy, and how many were copied so far.
    private var copied: [[UInt8]] = [[], [], []]
    private var copiedTotal = [0, 0, 0]
    /// Hashes of user ids seen in any section: a user appears on one line of a plan.
    private var users: Set<Int> = []
    /// Elements gathered and not yet checked (at most `checkGroup`: bounded memory).
    private var pending: [PendingElement] = []
    static let checkGroup = 512

    init(copies: [FileHandle?], onLine: @escaping (PlanLine) throws -> Void) {
        self.copies = copies
        self.onLine = onLine
    }

    /// The scanner without its line handler, for what is checked after the pass.
    func detached() -> CanonicalPlanScanner {
        var copy = self
        copy.onLine = { _ in }
        return copy
    }

    func fileOffset(ofSkeletonOffset at: Int) -> Int {
        at + removed.filter { $0.skeletonOffset <= at }.reduce(0) { $0 + $1.bytes }
    }

    mutating func feed(_ chunk: Data) throws {
        do { try scan(chunk) } catch let fault as CanonicalFormError {
            // Elements still queued come earlier in the file: a fault among them is the first.
            try checkPending()
            throw fault
        }
        if copied.contains(where: { $0.count >= PlanDocumentWriter.bufferSize }) { try flush() }
    }

    private mutating func scan(_ chunk: Data) throws {
        try chunk.withUnsafeBytes { raw in
            var index = 0
            while index < raw.count {
                // Most of a plan's bytes are string runs inside elements: gather them at once.
                let runEnd = walk.gatherStringRun(in: raw, from: index)
                offset += runEnd - index
                index = runEnd
                if index == raw.count { break }
                try step(raw[index])
                offset += 1
                index += 1
            }
        }
    }

    mutating func finish() throws {
        try checkPending()
        guard walk.closed else { throw CanonicalFormError(offset: offset, what: "the document ends before the plan does") }
        guard walk.seen.count == PlanDocumentWriter.streamedKeys.count else {
            throw CanonicalFormError(offset: offset, what: "it lacks the \(PlanDocumentWriter.streamedKeys.enumerated().filter { !walk.seen.contains($0.offset) }.map(\.element).joined(separator: ", ")) array")
        }
        try flush()
    }

    private mutating func flush() throws {
        for (section, copy) in copies.enumerated() {
            guard let copy, !copied[section].isEmpty else { continue }
            try copy.write(contentsOf: copied[section])
            copied[section].removeAll(keepingCapacity: true)
        }
    }

    private mutating func step(_ byte: UInt8) throws {
        let event: LineArrayScanner.Event
        do { event = try walk.step(byte) } catch {
            switch error {
            case .bytesAfterEnd: throw CanonicalFormError(offset: offset, what: "bytes follow the end of the plan")
            case .sectionRepeated(let section): throw CanonicalFormError(offset: offset, what: "\"\(PlanDocumentWriter.streamedKeys[section])\" appears twice")
            case .unopenedClose: throw CanonicalFormError(offset: offset, what: "a bracket closes what was never opened")
            case .unexpected(let byte, let section, let expecting):
                throw CanonicalFormError(offset: offset, what: "\(Self.describe(byte)) where remedy writes \(expecting == .commaOrEnd ? "\",\" or \"]\"" : expecting == .element ? "\"{\"" : "\"{\" or \"]\"") in \"\(PlanDocumentWriter.streamedKeys[section])\"")
            }
        }
        switch event {
        case .none: break
        case .sectionOpened:
            sectionStart = offset + 1
            indexInSection = 0
        case .elementOpened:
            elementStart = offset
        case .elementClosed(let section):
            try finishElement(section)
        case .sectionClosed:
            // The "]" is the skeleton's last byte; the array's content was left out just before it.
            removed.append((walk.skeleton.count - 1, offset - sectionStart))
        }
    }

    /// Queues the element just gathered; a full group is checked (`checkPending`).
    private mutating func finishElement(_ section: Int) throws {
        indexInSection += 1
        pending.append(PendingElement(section: section, bytes: walk.element, start: elementStart, indexInSection: indexInSection))
        if pending.count >= Self.checkGroup { try checkPending() }
    }

    /// The queued elements, each read, written again and compared on every core (most of the
    /// reader's work), then in file order: counted in the totals, its user checked unique, its
    /// bytes copied, its line handed on. The first fault in file order is the one thrown, as when
    /// each element was checked the moment it ended.
    private mutating func checkPending() throws {
        guard !pending.isEmpty else { return }
        let elements = pending
        pending.removeAll(keepingCapacity: true)
        let results = ParallelBatch.map(elements, itemsPerWorker: 64) { CheckedElement($0) }
        for (element, checked) in zip(elements, results) {
            let name = ["adjustment", "hold", "settled line"][element.section]
            let userId: String
            let line: PlanLine
            switch checked.line {
            case nil:
                throw CanonicalFormError(offset: element.start, what: "\(name) \(element.indexInSection) is not a remedy plan line (a member missing, repeated, unknown in type, or escaped)")
            case .adjustment(let read)?:
                try totals.add(read, offset: element.start)
                userId = read.userId
                line = .adjustment(copies[0] == nil ? read : nil, copyEnd: copy(element))
            case .hold(let read)?:
                try totals.add(read, offset: element.start)
                userId = read.userId
                line = .hold(read, copyEnd: copies[1] == nil ? nil : copy(element))
            case .settled(let read)?:
                totals.add(read)
                userId = read.userId
                line = .settled(read, copyEnd: copies[2] == nil ? nil : copy(element))
            }
            if let at = checked.differsAt {
                throw CanonicalFormError(offset: element.start + at, what: "\(name) \(element.indexInSection) differs from its canonical encoding")
            }
            // Hashes, not the ids, to stay small at a million lines; the hasher's seed is random per
            // process, so no plan can be made to collide on purpose (and a collision only refuses).
            guard users.insert(userId.hashValue).inserted else {
                throw CanonicalFormError(offset: element.start, what: "\(name) \(element.indexInSection) names a user who already has a line in this plan")
            }
            try onLine(line)
        }
    }

    /// Appends the element to its section's copy; where the copy now ends (0 without a copy).
    private mutating func copy(_ element: PendingElement) -> Int {
        guard copies[element.section] != nil else { return 0 }
        copied[element.section].append(contentsOf: element.bytes)
        copiedTotal[element.section] += element.bytes.count
        return copiedTotal[element.section]
    }


    private static func describe(_ byte: UInt8) -> String {
        (0x21...0x7e).contains(byte) ? "\"\(Character(Unicode.Scalar(byte)))\"" : String(format: "byte 0x%02x", byte)
    }
}

/// An element of a line array as gathered, waiting to be checked.
private struct PendingElement: Sendable {
    let section: Int
    let bytes: [UInt8]
    /// Its offset in the file, and its place in its array (from 1).
    let start: Int
    let indexInSection: Int
}

/// What checking one element found: its line (nil when it is not one), and where its bytes first
/// differ from the line's canonical encoding (nil when they do not). Depends on the bytes alone,
/// so elements are checked on any thread.
private struct CheckedElement {
    enum Line {
        case adjustment(AdjustmentLine)
        case hold(HeldLine)
        case settled(SettledLine)
    }

    let line: Line?
    let differsAt: Int?

    init(_ element: PendingElement) {
        let node = element.bytes.withUnsafeBytes { CanonicalJSONReader.parse($0) }
        var writer = CanonicalJSONWriter(capacity: element.bytes.count)
        switch element.section {
        case 0: line = node.flatMap(AdjustmentLine.init(node:)).map { $0.write(to: &writer); return .adjustment($0) }
        case 1: line = node.flatMap(HeldLine.init(node:)).map { $0.write(to: &writer); return .hold($0) }
        default: line = node.flatMap(SettledLine.init(node:)).map { $0.write(to: &writer); return .settled($0) }
        }
        differsAt = line == nil ? nil : firstDifference(writer.bytes, element.bytes)
    }
}

/// The totals of the lines as the pass reads them; the plan's stored totals must equal them
/// (all but `usersExamined`, the snapshot's row count, which no line records).
private struct RecomputedTotals {
    private var totals = PlanTotals()

    mutating func add(_ line: AdjustmentLine, offset: Int) throws {
        do { try totals.add(line) } catch { throw CanonicalFormError(offset: offset, what: "its amounts overflow exact arithmetic") }
    }

    mutating func add(_ line: HeldLine, offset: Int) throws {
        do { try totals.add(line) } catch { throw CanonicalFormError(offset: offset, what: "its amounts overflow exact arithmetic") }
    }

    mutating func add(_ line: SettledLine) {
        totals.add(line)
    }

    func requireEqual(to stored: PlanTotals, in planPath: String) throws {
        var recomputed = totals
        recomputed.usersExamined = stored.usersExamined
        guard recomputed != stored else { return }
        let differing = zip(Mirror(reflecting: stored).children, Mirror(reflecting: recomputed).children)
            .filter { "\($0.value)" != "\($1.value)" }
            .map { stored, lines in "\(Self.snakeCase(stored.label ?? "?")) \(Self.show(stored.value)) (the lines give \(Self.show(lines.value)))" }
        throw RemedyError(.tampered, "\(planPath) states totals its lines do not add up to: \(differing.joined(separator: ", ")); remedy never writes such a plan: make a new plan")
    }

    /// A field's name as plan.json spells it.
    private static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { text, character in text += character.isUppercase ? "_" + character.lowercased() : String(character) }
    }

    private static func show(_ value: Any) -> String {
        (value as? Money)?.rupiah ?? "\(value)"
    }
}
