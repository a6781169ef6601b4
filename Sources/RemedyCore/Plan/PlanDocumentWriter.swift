import Crypto
import Foundation

/// Writes a plan as exactly the bytes `CanonicalJSON.encode(plan)` gives, without ever holding
/// them: the plan's fields are encoded with its line arrays empty (a small skeleton), and
/// each line is encoded on its own and spliced into its array as it is written. A compact JSON
/// value's bytes do not depend on where it sits, so the result is byte-for-byte the same document
/// (PlanDocumentWriterTests check it), and its SHA-256 is hashed on the way to disk. Lines are
/// written by CanonicalJSONWriter, which gives JSONEncoder's bytes (CanonicalJSONWriterTests).
///
/// Encoding the whole plan at once held the encoder's tree of every line and the whole document
/// (several times plan.json's size); this holds one line's encoding at a time.
struct PlanDocumentWriter {
    /// The top-level keys whose arrays are streamed, as CanonicalJSON spells them: the three line
    /// sections, then the gateway's checks (format v2; a v1 plan has no such array).
    static let streamedKeys = ["adjustments", "holds", "settled", "gateway_checks"]
    /// The sections every plan has (the first three of `streamedKeys`).
    static let requiredSections = 3
    /// Bytes gathered before each write to disk.
    static let bufferSize = 1 << 20

    /// Writes the document to `path` (created, or truncated) and returns its SHA-256 as hex.
    static func write(_ plan: Plan, to path: String) throws -> String {
        try write(to: path) { emit in try encode(plan, emit: emit) }
    }

    /// Writes a spooled plan's document: its header with the spool's lines spliced in.
    static func write(_ spooled: SpooledPlan, to path: String) throws -> String {
        try write(to: path) { emit in
            try encode(header: spooled.header, emit: emit) { key, emit in try spooled.spool.emit(key, emit) }
        }
    }

    private static func write(to path: String, _ body: ((Data) throws -> Void) throws -> Void) throws -> String {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw RemedyError(.io, "cannot create \(path)")
        }
        defer { try? handle.close() }
        var sink = HashingSink(handle: handle)
        try body { try sink.append($0) }
        try sink.flush()
        try handle.synchronize()
        return sink.hasher.finalize().hexString
    }

    /// Hands the document to `emit` in pieces; their concatenation is `CanonicalJSON.encode(plan)`.
    static func encode(_ plan: Plan, emit: (Data) throws -> Void) throws {
        try encode(header: plan, emit: emit) { key, emit in
            switch key {
            case "adjustments": try emitElements(plan.adjustments, emit)
            case "holds": try emitElements(plan.holds, emit)
            case "settled": try emitElements(plan.settled, emit)
            default: try emitElements(plan.gatewayChecks ?? [], emit)
            }
        }
    }

    /// The header's fields, its line arrays' elements given by `elements` (comma-separated, for
    /// the key it is called with).
    static func encode(header: Plan, emit: (Data) throws -> Void,
                       elements: (String, (Data) throws -> Void) throws -> Void) throws {
        var skeletonPlan = header
        skeletonPlan.adjustments = []
        skeletonPlan.holds = []
        skeletonPlan.settled = []
        if skeletonPlan.gatewayChecks != nil { skeletonPlan.gatewayChecks = [] }
        let skeleton = [UInt8](try CanonicalJSON.encode(skeletonPlan))
        let openings = try emptyTopLevelArrays(in: skeleton)
        var cursor = 0
        for (key, opening) in openings.sorted(by: { $0.value < $1.value }) {
            // Up to and including "[", then the elements, then on from the "]".
            try emit(Data(skeleton[cursor...opening]))
            try withoutActuallyEscaping(emit) { emit in try elements(key, emit) }
            cursor = opening + 1
        }
        try emit(Data(skeleton[cursor...]))
    }

    /// Each line by CanonicalJSONWriter (the bytes JSONEncoder gives, at a fraction of its cost).
    private static func emitElements<Line: CanonicalJSONWritable>(_ lines: [Line], _ emit: (Data) throws -> Void) throws {
        var writer = CanonicalJSONWriter()
        for (index, line) in lines.enumerated() {
            writer.removeAll()
            if index > 0 { writer.comma() }
            line.write(to: &writer)
            try emit(Data(writer.bytes))
        }
    }

    /// The offsets of the "[" of `"adjustments":[]`, `"holds":[]`, `"settled":[]` and (format v2)
    /// `"gateway_checks":[]` in the top-level object, found by walking the JSON (strings and
    /// nesting respected), never by search.
    static func emptyTopLevelArrays(in bytes: [UInt8]) throws -> [String: Int] {
        var found: [String: Int] = [:]
        var depth = 0
        var index = 0
        var expectingKey = false
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                let start = index + 1
                index = start
                while bytes[index] != UInt8(ascii: "\"") { index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1 }
                if depth == 1, expectingKey {
                    let key = String(decoding: bytes[start..<index], as: UTF8.self)
                    let value = index + 2
                    if streamedKeys.contains(key), bytes[index + 1] == UInt8(ascii: ":"),
                       value + 1 < bytes.count, bytes[value] == UInt8(ascii: "["), bytes[value + 1] == UInt8(ascii: "]") {
                        found[key] = value
                    }
                }
                expectingKey = false
            case UInt8(ascii: "{"):
                depth += 1
                expectingKey = depth == 1
            case UInt8(ascii: "["):
                depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: ","):
                // Only the top-level object's keys matter.
                expectingKey = depth == 1
            default:
                break
            }
            index += 1
        }
        let required = streamedKeys.prefix(requiredSections)
        guard required.allSatisfy({ found[$0] != nil }) else {
            throw RemedyError(.invariant, "the plan's skeleton lacks an empty array for \(Set(required).subtracting(found.keys).sorted())")
        }
        return found
    }
}

/// Buffers writes to a file and hashes every byte that goes through.
private struct HashingSink {
    let handle: FileHandle
    var hasher = SHA256()
    var buffer = Data()

    init(handle: FileHandle) {
        self.handle = handle
        buffer.reserveCapacity(PlanDocumentWriter.bufferSize)
    }

    mutating func append(_ data: Data) throws {
        hasher.update(data: data)
        buffer.append(data)
        if buffer.count >= PlanDocumentWriter.bufferSize { try flush() }
    }

    mutating func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
