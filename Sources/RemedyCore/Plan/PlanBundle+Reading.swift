import Crypto
import Foundation
import Logging
import Rupiah

/// The one way every command reads a plan bundle (show, approve, apply, verify, export, revert,
/// acknowledge): what approvers are shown and what apply moves come from the same bytes through the
/// same reader, so a file crafted to read one way here and another way there cannot exist.
///
/// plan.json is read once, in chunks, hashed and checked against plan.sha256. It must be in
/// remedy's canonical form, byte for byte: the fields outside the line arrays (adjustments, holds,
/// settled, and the gateway's checks) are decoded and encoded again and must give the same bytes,
/// and every line is read by CanonicalJSONReader, which takes only those bytes. Escapes where none
/// are needed, repeated or unknown keys, another key order, whitespace, trailing bytes, gateway checks
/// out of their order: each is refused naming the byte offset. Then the stored totals must be
/// the totals of the lines, every line's arithmetic must hold (AdjustmentLine+Rules: checked in
/// the same pass when a skim guessed the header fields the rules read, AdjustmentLine+RulesGuess,
/// and in a second pass over the adjustments otherwise), a read
/// replica's position, where the plan records one (`read_replica`, absent from plans made on the
/// primary; never `null`), must be in the form remedy writes, the planner's signature must sign
/// the digest (PlannerSignature), and `evidence/` must hold exactly the gateway answers the checks
/// list (GatewayEvidenceFiles). Nothing is read from or written to a database before all of this passed.
extension PlanBundle {
    /// The whole plan, every line in memory.
    public static func read(_ path: String, logger: Logger = .silent) throws -> PlanBundle {
        try announcingLargePlan(path, logger: logger) {
            var lines = PlanLines()
            let header = try PlanReading(path: path, indexing: [false, false, false, false]).run { lines.add($0) }
            var plan = header.plan
            plan.adjustments = lines.adjustments
            plan.holds = lines.holds
            plan.settled = lines.settled
            if plan.gatewayChecks != nil { plan.gatewayChecks = lines.gatewayChecks }
            try header.rules.enforce { try AdjustmentLine.checkRules(of: plan.adjustments, in: plan) }
            return PlanBundle(path: path, plan: plan, digest: header.digest)
        }
    }

    /// The same reading and the same refusals, keeping only where each adjustment lies in plan.json
    /// and the SHA-256 of its bytes: what apply needs, at any plan size. With
    /// `keepingHoldsAndSettled`, the holds and settled lines are indexed too (export reads every
    /// line twice, a batch at a time); `gatewayChecks` says what is kept of a checked plan's
    /// gateway checks.
    public static func readStreaming(_ path: String, keepingHoldsAndSettled: Bool = false, gatewayChecks: GatewayChecksKept = .none,
                                     logger: Logger = .silent) throws -> StreamedPlanBundle {
        try announcingLargePlan(path, logger: logger) {
            try readStreaming(path, keepingHoldsAndSettled: keepingHoldsAndSettled, gatewayChecks: gatewayChecks,
                              rulesBatchLines: PlanAdjustmentStream.checkBatch)
        }
    }

    /// What `readStreaming` keeps of a checked plan's gateway checks (838,008 at 1,000,000 users).
    public enum GatewayChecksKept: Sendable {
        /// Nothing (apply, approve, verify, revert: the checks are read and their files checked, no more).
        case none
        /// The verdicts of the top-ups lines name, gathered as the reading pass goes by (a
        /// dictionary a few MB at 1M), for marking lines (export).
        case verdicts
        /// Every check, indexed to be read again a batch at a time (show lists them).
        case all
    }

    /// Below this size a plan is checked without a word (under a second on this machine class).
    static let announcedBytes = 16_000_000
    static let waitingIntervalMilliseconds = 5_000

    /// A plan of `announcedBytes` or more is announced on `logger`, and again every
    /// `intervalMilliseconds` until `check` returns: at 1,000,000 users the check takes 2 to 3 s,
    /// before apply's first batch or show's first line.
    static func announcingLargePlan<Result>(_ path: String, logger: Logger, announcedBytes: Int = announcedBytes,
                                            intervalMilliseconds: Int = waitingIntervalMilliseconds,
                                            _ check: () throws -> Result) throws -> Result {
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path + "/" + planFile)[.size] as? Int) ?? 0
        guard bytes >= announcedBytes else { return try check() }
        let heartbeat = Heartbeat.announcing("checking \(planFile) (\((bytes + (1 << 19)) >> 20) MB)", prefix: "plan",
                                             detail: ": its digest, its form, its totals and every line's arithmetic",
                                             logger: logger, metadata: ["step": "read-plan"], announcedMetadata: ["bytes": "\(bytes)"],
                                             intervalMilliseconds: intervalMilliseconds)
        defer { heartbeat.stop() }
        return try check()
    }

    /// `rulesBatchLines`: lines per batch of the rules' check (tests make it small to check the
    /// refusal is the first broken line's whichever worker finds it); `guessingRules`: the skim
    /// (tests give none, or a wrong guess, to check the second pass decides alone).
    static func readStreaming(_ path: String, keepingHoldsAndSettled: Bool, gatewayChecks kept: GatewayChecksKept = .none,
                              rulesBatchLines: Int, guessingRules: @escaping (PlanFile) -> AdjustmentLine.RulesGuess? = AdjustmentLine.RulesGuess.skim) throws -> StreamedPlanBundle {
        // No copy is written: the lines are read again from the descriptor the check read, and a
        // line whose bytes no longer hash as they did is refused, so what is decoded later is what
        // was checked now.
        var verdicts = GatewayVerdicts()
        let header = try PlanReading(path: path, indexing: [true, keepingHoldsAndSettled, keepingHoldsAndSettled, kept == .all],
                                     guessingRules: guessingRules).run { line in
            if kept == .verdicts, case .gatewayCheck(let check) = line { verdicts.add(check) }
        }
        // A v1 plan's checks are in its header.
        if kept == .verdicts { header.plan.gateway?.references?.forEach { verdicts.add($0) } }
        let planPath = path + "/" + planFile
        let file = header.file
        let stream = PlanAdjustmentStream(file: file, index: header.index[0], planPath: planPath, what: "adjustment", decode: AdjustmentLine.read)
        try header.rules.enforce { try checkRules(of: stream, in: header.plan, batchLines: rulesBatchLines) }
        let gatewayChecks: GatewayCheckList? = if let inline = header.plan.gateway?.references {
            GatewayCheckList(source: .inline(inline))
        } else if kept == .all {
            GatewayCheckList(source: .streamed(PlanLineStream(file: file, index: header.index[3], planPath: planPath, what: "gateway check", decode: GatewayReferenceCheck.read)))
        } else {
            nil
        }
        return StreamedPlanBundle(
            bundle: PlanBundle(path: path, plan: header.plan, digest: header.digest), adjustments: stream,
            holds: keepingHoldsAndSettled ? PlanLineStream(file: file, index: header.index[1], planPath: planPath, what: "hold", decode: HeldLine.read) : nil,
            settled: keepingHoldsAndSettled ? PlanLineStream(file: file, index: header.index[2], planPath: planPath, what: "settled line", decode: SettledLine.read) : nil,
            gatewayChecks: gatewayChecks, gatewayVerdicts: kept == .verdicts && header.plan.gateway != nil ? verdicts.byReference : nil)
    }

    /// Every adjustment's rules, a batch of lines at a time on each core (plan.json is read with
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
}

/// A bundle read without holding its lines (`PlanBundle.readStreaming`).
public struct StreamedPlanBundle {
    /// The bundle, its plan without its lines (`adjustments`, `holds`, `settled` are empty).
    public let bundle: PlanBundle
    public let adjustments: PlanAdjustmentStream
    /// Kept only when asked for (`keepingHoldsAndSettled`).
    public let holds: PlanLineStream<HeldLine>?
    public let settled: PlanLineStream<SettledLine>?
    /// The gateway's checks: a v1 plan's from its header, a v2 plan's when asked for
    /// (`gatewayChecks: .all`); nil otherwise. Empty for a plan no gateway checked.
    public let gatewayChecks: GatewayCheckList?
    /// The verdicts that mark lines, when asked for (`gatewayChecks: .verdicts`) of a checked plan.
    public let gatewayVerdicts: [String: GatewayReferenceCheck.Verdict]?
}

public typealias PlanAdjustmentStream = PlanLineStream<AdjustmentLine>

/// One section of a plan read by `PlanBundle.readStreaming`, decoded on demand from plan.json,
/// through the descriptor that was checked, each line's bytes hashed again before they are used.
public final class PlanLineStream<Line>: @unchecked Sendable {
    /// Lines decoded at a time when every line's rules are checked.
    static var checkBatch: Int { 1_000 }
    public var count: Int { index.count }
    private let file: PlanFile
    private let index: PlanLineIndex
    private let planPath: String
    private let what: String
    private let decode: (UnsafeRawBufferPointer) -> Line?

    fileprivate init(file: PlanFile, index: PlanLineIndex, planPath: String, what: String, decode: @escaping (UnsafeRawBufferPointer) -> Line?) {
        self.file = file
        self.index = index
        self.planPath = planPath
        self.what = what
        self.decode = decode
    }

    /// The lines `range` (in plan order), decoded. Safe from several threads at once: plan.json is
    /// read with positional reads (pread), never by moving a shared file offset.
    public func lines(_ range: Range<Int>) throws -> [Line] {
        try read(range, decode)
    }

    /// The lines `range`, each line's bytes (hashed again first) made into a value by `make`.
    fileprivate func read<Value>(_ range: Range<Int>, _ make: (UnsafeRawBufferPointer) -> Value?) throws -> [Value] {
        guard !range.isEmpty else { return [] }
        let base = index.start(range.lowerBound)
        let length = index.end(range.upperBound - 1) - base
        let bytes = file.bytes(length, at: base)
        return try bytes.withUnsafeBytes { buffer in
            try range.map { line in
                // A file cut short since: the first line it no longer holds is the one named.
                guard index.end(line) - base <= buffer.count else { throw changed(line) }
                let element = UnsafeRawBufferPointer(rebasing: buffer[(index.start(line) - base)..<(index.end(line) - base)])
                guard index.line(line, hashes: SHA256.hash(data: element)) else { throw changed(line) }
                // The bytes that were checked canonical: the same reader gives the same line.
                guard let decoded = make(element) else {
                    throw RemedyError(.invariant, "\(what) \(line + 1) of \(planPath) no longer reads as it did when it was checked")
                }
                return decoded
            }
        }
    }

    private func changed(_ line: Int) -> RemedyError {
        RemedyError(.tampered, "\(planPath) changed while remedy was using it: \(what) \(line + 1) is no longer the bytes that were checked; stop whatever writes to the bundle, and restore it from the filed copy")
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

extension PlanLineStream where Line == AdjustmentLine {
    /// The lines `range` with each one's attribution as plan.json holds it (its canonical bytes,
    /// checked with the line): what apply books as evidence.
    func linesWithEvidence(_ range: Range<Int>) throws -> [(line: AdjustmentLine, evidence: [UInt8])] {
        try read(range) { bytes in
            var reader = CanonicalJSONReader(bytes)
            var attributionBytes: Range<Int>?
            guard let line = reader.object({ AdjustmentLine(members: &$0, attributionBytes: &attributionBytes) }), reader.offset == bytes.count,
                  let attributionBytes else { return nil }
            return (line, [UInt8](UnsafeRawBufferPointer(rebasing: bytes[attributionBytes])))
        }
    }
}

/// plan.json open for reading, closed when the last stream reading it is gone.
final class PlanFile: @unchecked Sendable {
    let descriptor: Int32

    init?(path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Up to `maxCount` bytes from the descriptor's offset (the reading pass); empty at the end.
    func nextChunk(upTo maxCount: Int) throws -> Data {
        var chunk = Data(count: maxCount)
        let count = chunk.withUnsafeMutableBytes { buffer -> Int in
            while true {
                let count = read(descriptor, buffer.baseAddress!, maxCount)
                if count < 0, errno == EINTR { continue }
                return count
            }
        }
        guard count >= 0 else { throw RemedyError(.io, "plan.json could not be read: \(String(cString: strerror(errno)))") }
        chunk.count = count
        return chunk
    }

    /// Up to `length` bytes at `offset` with positional reads: fewer only when the file no longer
    /// holds them (it was cut short).
    func bytes(_ length: Int, at offset: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: length)
        let done = bytes.withUnsafeMutableBytes { buffer -> Int in
            var done = 0
            while done < length {
                let count = pread(descriptor, buffer.baseAddress! + done, length - done, off_t(offset + done))
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { break }
                done += count
            }
            return done
        }
        return Array(bytes.prefix(done))
    }
}

/// Where each line of one section lies in plan.json, and the SHA-256 of its bytes as checked.
struct PlanLineIndex: Sendable {
    /// Offsets in 4 bytes each: plan.json is at most `PlanBundle.maxPlanBytes` (2 GiB). With the
    /// digest, 40 bytes a line (a checked 1M plan indexes 1.09 million lines and checks).
    private var starts: [UInt32] = []
    private var ends: [UInt32] = []
    /// 32 bytes a line, in one array (a million lines: 32 MB, not a million arrays).
    private var digests: [UInt8] = []
    var count: Int { starts.count }

    func start(_ line: Int) -> Int { Int(starts[line]) }
    func end(_ line: Int) -> Int { Int(ends[line]) }

    mutating func append(start: Int, end: Int, digest: SHA256.Digest) {
        precondition(end > start && start >= Int(ends.last ?? 0) && end <= PlanBundle.maxPlanBytes, "lines are indexed in file order, within a plan's size")
        starts.append(UInt32(start))
        ends.append(UInt32(end))
        digests.append(contentsOf: digest)
    }

    /// Whether line `line`'s bytes as checked had this digest.
    func line(_ line: Int, hashes digest: SHA256.Digest) -> Bool {
        digest.elementsEqual(digests[(line * SHA256.byteCount)..<((line + 1) * SHA256.byteCount)])
    }
}

/// One line as the reading pass hands it on.
enum PlanLine {
    /// An adjustment; nil when the adjustments are indexed instead (they are decoded again later).
    case adjustment(AdjustmentLine?)
    /// Holds, settled lines and gateway checks are always handed on decoded.
    case hold(HeldLine)
    case settled(SettledLine)
    case gatewayCheck(GatewayReferenceCheck)
}

/// Lines gathered in memory by `PlanBundle.read`.
private struct PlanLines {
    var adjustments: [AdjustmentLine] = []
    var holds: [HeldLine] = []
    var settled: [SettledLine] = []
    var gatewayChecks: [GatewayReferenceCheck] = []

    mutating func add(_ line: PlanLine) {
        switch line {
        case .adjustment(let line): if let line { adjustments.append(line) }
        case .hold(let line): holds.append(line)
        case .settled(let line): settled.append(line)
        case .gatewayCheck(let check): gatewayChecks.append(check)
        }
    }
}

/// How the reading pass left the adjustments' rules (AdjustmentLine.RulesGuess).
private enum RulesOutcome {
    /// Every line was checked against the decoded header's own rules, and keeps them.
    case kept
    /// Every line was checked, and this is the refusal of the first to break one.
    case broken(RemedyError)
    /// Not checked in the pass (no guess, or not the header's): `check` must do it.
    case unchecked

    func enforce(otherwise check: () throws -> Void) throws {
        switch self {
        case .kept: return
        case .broken(let refusal): throw refusal
        case .unchecked: try check()
        }
    }
}

/// One pass over plan.json: hash, canonical form, lines handed on, totals recomputed, and,
/// when the skim guessed the header, every adjustment's rules.
private struct PlanReading {
    let path: String
    /// Which sections (adjustments, holds, settled, gateway checks) are indexed, to be read again later.
    let indexing: [Bool]
    /// The skim for the header the rules read (AdjustmentLine.RulesGuess.skim, or a test's).
    let guessingRules: (PlanFile) -> AdjustmentLine.RulesGuess?

    init(path: String, indexing: [Bool], guessingRules: @escaping (PlanFile) -> AdjustmentLine.RulesGuess? = AdjustmentLine.RulesGuess.skim) {
        self.path = path
        self.indexing = indexing
        self.guessingRules = guessingRules
    }

    var planPath: String { path + "/" + PlanBundle.planFile }

    /// The plan without its lines, its digest, the indexed sections' lines (empty for the others)
    /// and the open file they are read from again.
    func run(_ onLine: (PlanLine) throws -> Void) throws -> (plan: Plan, digest: String, index: [PlanLineIndex], file: PlanFile, rules: RulesOutcome) {
        guard let input = PlanFile(path: planPath) else {
            throw RemedyError(.io, "\(planPath) cannot be read; pass the directory `remedy plan` printed last")
        }
        var status = stat()
        guard fstat(input.descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw RemedyError(.io, "\(planPath) is not a regular file; pass the directory `remedy plan` printed last")
        }
        guard Int(status.st_size) <= PlanBundle.maxPlanBytes else { throw RemedyError(.io, "\(planPath) is larger than any plan remedy writes") }

        let guess = guessingRules(input)
        var hasher = SHA256()
        var refusal: CanonicalFormError?
        let scanner = try withoutActuallyEscaping(onLine) { onLine in
            var scanner = CanonicalPlanScanner(indexing: indexing, rulesContexts: guess?.contexts ?? [],
                                               evidence: GatewayEvidenceFiles(bundlePath: path), onLine: onLine)
            // However the pass ends, no group is still being checked when it returns.
            defer { scanner.abandon() }
            while case let chunk = try input.nextChunk(upTo: PlanDocumentWriter.bufferSize), !chunk.isEmpty {
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

        // The header, by the lines' reader: in canonical form, or refused at the first byte that is not.
        let plan: Plan
        switch scanner.skeleton.withUnsafeBytes(Plan.readCanonical) {
        case .success(let header): plan = header
        case .failure(let refusal):
            // A plan of a format this remedy does not know (a newer remedy's) is named as such.
            if let format = Self.statedFormat(in: scanner.skeleton) { try requireKnown(format: format) }
            throw refused(CanonicalFormError(offset: scanner.fileOffset(ofSkeletonOffset: refusal.offset), what: "the plan's fields differ from their canonical encoding"))
        }
        try requireKnown(format: plan.format)
        // Each format keeps the gateway's checks in one place only, and only a checked plan has any.
        let checksInHeader = plan.gateway?.references != nil
        let formFault: String? = if plan.format == Plan.formatV1 {
            plan.gatewayChecks != nil ? "a \(Plan.formatV1) plan has no gateway_checks array" : nil
        } else if plan.gatewayChecks == nil || checksInHeader {
            "a \(Plan.currentFormat) plan keeps its gateway checks in gateway_checks, not in its gateway header"
        } else if plan.gateway == nil, scanner.gatewayCheckCount > 0 {
            "it lists gateway checks but records no gateway cross-check"
        } else {
            nil
        }
        if let formFault { throw refused(CanonicalFormError(offset: 0, what: formFault)) }
        try scanner.totals.requireEqual(to: plan.totals, in: planPath)
        if let replica = plan.readReplica, !replica.isWellFormed {
            throw RemedyError(.tampered, "\(planPath) records a read replica position remedy never writes (server \"\(replica.server.prefix(60))\", replay LSN \"\(replica.replayLsn.prefix(40))\"); make a new plan")
        }
        try PlannerSignature.load(path).verify(planDigest: digest, plan: plan)
        var evidence = scanner.evidence
        if let inline = plan.gateway?.references {
            // A v1 plan's list was never held to an order: its files are checked in reference order.
            inline.sorted(by: GatewayReferenceCheck.inOrder).forEach { evidence.add($0) }
        }
        try evidence.finish(checked: plan.gateway != nil)
        let rules: RulesOutcome = if let guessed = guess?.contexts.firstIndex(of: AdjustmentLine.RulesContext(plan)) {
            scanner.firstBrokenRule[guessed].map { .broken(AdjustmentLine.brokenRuleRefusal(line: $0.line, userId: $0.userId, $0.rule)) } ?? .kept
        } else {
            .unchecked
        }
        return (plan, digest, scanner.index, input, rules)
    }

    /// The header's `"format":"…"` value, found by its bytes (no quote is raw inside a JSON
    /// string), for naming a plan of another format: only ever a refusal's wording, never read on.
    private static func statedFormat(in skeleton: [UInt8]) -> String? {
        let key = Array(#""format":""#.utf8)
        guard let start = skeleton.indices.dropLast(key.count - 1).first(where: { skeleton[$0..<$0 + key.count].elementsEqual(key) }) else { return nil }
        let value = skeleton[(start + key.count)...].prefix(64).prefix { $0 != UInt8(ascii: "\"") }
        return String(validating: value, as: UTF8.self)
    }

    /// Refuses a format this remedy does not read, naming it.
    private func requireKnown(format: String) throws {
        guard format == Plan.currentFormat || format == Plan.formatV1 else {
            throw RemedyError(.badInput, "\(planPath) is format \(format); this remedy reads \(Plan.currentFormat) and \(Plan.formatV1)")
        }
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

/// Walks plan.json's bytes once (LineArrayScanner: strings and nesting respected). Everything but
/// the line arrays' elements goes to `skeleton`, which must then be the canonical encoding of
/// the plan without its lines. Inside the arrays the separators must be exactly remedy's
/// (`[{…},{…}]`), and each element is read by CanonicalJSONReader (canonical form only), its line
/// handed on and counted in `totals`, and in the sections `indexing` names, its place and digest
/// kept in `index`.
/// Every fault names its byte offset in the file.
private struct CanonicalPlanScanner {
    let indexing: [Bool]
    private(set) var index = [PlanLineIndex(), PlanLineIndex(), PlanLineIndex(), PlanLineIndex()]
    private var onLine: (PlanLine) throws -> Void
    /// Line arrays 0 adjustments, 1 holds, 2 settled, 3 gateway checks; their elements are objects.
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
    /// Hashes of user ids seen in the line sections: a user appears on one line of a plan.
    private var users: Set<Int> = []
    /// The last gateway check read: the checks must come in their list's order, each once.
    private var lastCheck: GatewayReferenceCheck?
    private(set) var gatewayCheckCount = 0
    /// Elements gathered and not yet checked (at most `checkGroup`: bounded memory).
    private var pending: [PendingElement] = []
    /// The group before them, being checked on other threads while these are gathered: scanning
    /// the bytes is serial, and a core waited for it (at most two groups held).
    private var inFlight: CheckingGroup?
    /// Where a group's check starts: a queue of its own, so it gets a thread even while every
    /// thread of the shared pool is blocked (concurrentPerform then runs it on that one thread).
    private let checking = DispatchQueue(label: "remedy.plan.check")
    static let checkGroup = 512

    /// The contexts each adjustment's rules are checked against as it is read (the skim's
    /// guesses; none without one), and per context the first line to break one (from 1).
    let rulesContexts: [AdjustmentLine.RulesContext]
    private(set) var firstBrokenRule: [(line: Int, userId: String, rule: String)?]

    /// The gateway's answers in `evidence/`, each file inspected beside its check's element.
    private(set) var evidence: GatewayEvidenceFiles

    init(indexing: [Bool], rulesContexts: [AdjustmentLine.RulesContext], evidence: GatewayEvidenceFiles,
         onLine: @escaping (PlanLine) throws -> Void) {
        self.indexing = indexing
        self.rulesContexts = rulesContexts
        self.evidence = evidence
        self.firstBrokenRule = rulesContexts.map { _ in nil }
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
            try drain()
            throw fault
        }
    }

    /// Waits for the group being checked, if any, and drops it: the reading is abandoned.
    mutating func abandon() {
        inFlight?.wait()
        inFlight = nil
    }

    private mutating func scan(_ chunk: Data) throws {
        try chunk.withUnsafeBytes { raw in
            var index = 0
            while index < raw.count {
                // Most of a plan's bytes are inside elements: gathered at once.
                let (end, closedSection) = walk.gatherElement(in: raw, from: index)
                offset += end - index
                index = end
                if let closedSection {
                    try finishElement(closedSection)
                    continue
                }
                if index == raw.count { break }
                try step(raw[index])
                offset += 1
                index += 1
            }
        }
    }

    mutating func finish() throws {
        try drain()
        guard walk.closed else { throw CanonicalFormError(offset: offset, what: "the document ends before the plan does") }
        // The gateway checks' array is a v2 plan's (the format, decoded after the pass, decides).
        let required = PlanDocumentWriter.streamedKeys.prefix(PlanDocumentWriter.requiredSections)
        guard required.indices.allSatisfy(walk.seen.contains) else {
            throw CanonicalFormError(offset: offset, what: "it lacks the \(required.enumerated().filter { !walk.seen.contains($0.offset) }.map(\.element).joined(separator: ", ")) array")
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

    /// Starts checking the queued elements on other threads (each read in canonical form,
    /// hashed when its section is indexed, a gateway check's file inspected: most of the reader's
    /// work), then takes in the group started before them. Groups are taken in file order, so the
    /// first fault in file order is the one thrown, as when each element was checked the moment it
    /// ended.
    private mutating func checkPending() throws {
        let started = pending.isEmpty ? nil : CheckingGroup(pending, on: checking) { [indexing, rulesContexts, inspector = evidence.inspector] in
            CheckedElement($0, hashed: indexing[$0.section], rulesContexts: rulesContexts, evidence: inspector)
        }
        pending.removeAll(keepingCapacity: true)
        let previous = inFlight
        inFlight = started
        guard let previous else { return }
        do { try takeIn(previous) } catch {
            abandon()
            throw error
        }
    }

    /// Every element gathered, checked and taken in.
    private mutating func drain() throws {
        try checkPending()
        guard let last = inFlight else { return }
        inFlight = nil
        try takeIn(last)
    }

    /// A checked group's elements in file order: each counted in the totals, its user checked
    /// unique, indexed, its check's file counted, its line handed on.
    private mutating func takeIn(_ group: CheckingGroup) throws {
        let (elements, results) = (group.elements, group.wait())
        for (element, checked) in zip(elements, results) {
            let name = ["adjustment", "hold", "settled line", "gateway check"][element.section]
            let userId: String?
            let line: PlanLine
            switch checked.line {
            case nil:
                throw CanonicalFormError(offset: element.start + (checked.refusedAt ?? 0), what: "\(name) \(element.indexInSection) differs from its canonical encoding")
            case .adjustment(let read)?:
                try totals.add(read, offset: element.start)
                for (context, broken) in checked.brokenRules.enumerated() where firstBrokenRule[context] == nil {
                    firstBrokenRule[context] = broken.map { (element.indexInSection, read.userId, $0) }
                }
                userId = read.userId
                line = .adjustment(indexing[0] ? nil : read)
            case .hold(let read)?:
                try totals.add(read, offset: element.start)
                userId = read.userId
                line = .hold(read)
            case .settled(let read)?:
                totals.add(read)
                userId = read.userId
                line = .settled(read)
            case .gatewayCheck(let read)?:
                // Not a line: no totals, and a user may have several top-ups checked.
                if let lastCheck, !GatewayReferenceCheck.inOrder(lastCheck, read) {
                    throw CanonicalFormError(offset: element.start, what: "\(name) \(element.indexInSection) is out of order (remedy lists the checks by reference, then transaction id, each once)")
                }
                lastCheck = read
                gatewayCheckCount += 1
                userId = nil
                line = .gatewayCheck(read)
            }
            // Hashes, not the ids, to stay small at a million lines; the hasher's seed is random per
            // process, so no plan can be made to collide on purpose (and a collision only refuses).
            if let userId, !users.insert(userId.hashValue).inserted {
                throw CanonicalFormError(offset: element.start, what: "\(name) \(element.indexInSection) names a user who already has a line in this plan")
            }
            if let digest = checked.digest {
                index[element.section].append(start: element.start, end: element.start + element.bytes.count, digest: digest)
            }
            if case .gatewayCheck(let check) = line { evidence.add(check, inspection: checked.evidence) }
            try onLine(line)
        }
    }


    private static func describe(_ byte: UInt8) -> String {
        (0x21...0x7e).contains(byte) ? "\"\(Character(Unicode.Scalar(byte)))\"" : String(format: "byte 0x%02x", byte)
    }
}

/// A group of gathered elements being checked on other threads (ParallelBatch, started on the
/// scanner's queue), its results handed over when it is waited for.
private struct CheckingGroup {
    let elements: [PendingElement]
    private let results: BackgroundResult<[CheckedElement]>

    init(_ elements: [PendingElement], on queue: DispatchQueue, check: @escaping @Sendable (PendingElement) -> CheckedElement) {
        self.elements = elements
        results = BackgroundResult(on: queue) { ParallelBatch.map(elements, itemsPerWorker: 64, check) }
    }

    /// The results, in the elements' order, once every element is checked.
    @discardableResult
    func wait() -> [CheckedElement] { results.wait() }
}

/// An element of a line array as gathered, waiting to be checked.
private struct PendingElement: Sendable {
    let section: Int
    let bytes: [UInt8]
    /// Its offset in the file, and its place in its array (from 1).
    let start: Int
    let indexInSection: Int
}

/// What checking one element found: its line, or where its bytes first differ from remedy's
/// canonical form (CanonicalJSONReader), their SHA-256 when asked, and for a gateway check what
/// its file in `evidence/` holds. Depends on the bytes (and that one file) alone, so elements are
/// checked on any thread.
private struct CheckedElement {
    enum Line {
        case adjustment(AdjustmentLine)
        case hold(HeldLine)
        case settled(SettledLine)
        case gatewayCheck(GatewayReferenceCheck)
    }

    /// Nil when the bytes are not a line in canonical form; `refusedAt` is then where they stop being one.
    let line: Line?
    let refusedAt: Int?
    let digest: SHA256.Digest?
    /// An adjustment's first broken rule in each of the contexts asked for (nil: none broken).
    let brokenRules: [String?]
    /// A gateway check's file as `GatewayEvidenceFiles.Inspector` found it (nil: no file listed).
    let evidence: GatewayEvidenceFiles.Inspection?

    init(_ element: PendingElement, hashed: Bool, rulesContexts: [AdjustmentLine.RulesContext], evidence inspector: GatewayEvidenceFiles.Inspector) {
        let read: Result<Line, CanonicalJSONReader.Refusal> = element.bytes.withUnsafeBytes { bytes in
            switch element.section {
            case 0: AdjustmentLine.readCanonical(bytes).map { .adjustment($0) }
            case 1: HeldLine.readCanonical(bytes).map { .hold($0) }
            case 2: SettledLine.readCanonical(bytes).map { .settled($0) }
            default: GatewayReferenceCheck.readCanonical(bytes).map { .gatewayCheck($0) }
            }
        }
        switch read {
        case .success(let read): (line, refusedAt) = (read, nil)
        case .failure(let refusal): (line, refusedAt) = (nil, refusal.offset)
        }
        digest = hashed ? SHA256.hash(data: element.bytes) : nil
        brokenRules = if case .adjustment(let adjustment)? = line { adjustment.brokenRules(in: rulesContexts) } else { [] }
        evidence = if case .gatewayCheck(let check)? = line { inspector.inspect(check) } else { nil }
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
