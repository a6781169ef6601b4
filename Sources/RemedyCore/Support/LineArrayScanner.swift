import Foundation

/// The walk shared by the two readers of remedy's line-array documents: plan.json (adjustments,
/// holds, settled, gateway_checks; PlanBundle's reader) and a run report (already_applied, applied, skipped;
/// RunReportReading). Such a document is one top-level object whose named arrays hold a line per
/// element, millions of them, so it is walked a byte at a time and never held.
///
/// The walk respects strings and nesting. Every byte outside the line arrays' elements goes to
/// `skeleton`; each element's bytes are gathered in `element` and `step` says when one is whole.
/// What the bytes mean is the readers' own: each reads every element and the skeleton, writes them
/// again and compares, so only remedy's canonical bytes are accepted. The walk keeps the shape
/// those bytes must have: each line array once, and inside one no byte outside an element but `,`
/// between two elements and `]` at the end (canonical form has no whitespace).
struct LineArrayScanner {
    /// What a byte was, where it is more than a byte of the skeleton or of an element.
    enum Event {
        case none
        /// The `[` of line array `section` (an index of the names); it went to the skeleton.
        case sectionOpened(Int)
        /// An element's first byte.
        case elementOpened
        /// An element's last byte: `element` holds the whole element.
        case elementClosed(Int)
        /// A line array's `]`; it went to the skeleton.
        case sectionClosed
    }

    /// Not the shape of a line-array document; each reader says it its own way.
    enum Fault: Error {
        /// A byte after the top-level object closed.
        case bytesAfterEnd
        /// A line array's name appears again.
        case sectionRepeated(Int)
        /// A `}` or `]` with nothing open.
        case unopenedClose
        /// In line array `section`, outside an element, a byte that is not what `expecting` allows.
        case unexpected(UInt8, section: Int, expecting: Expect)
    }

    /// In a line array, outside an element: what may come next.
    enum Expect { case firstElementOrEnd, commaOrEnd, element }

    /// The line arrays' names, as keys of the top-level object.
    private let sections: [[UInt8]]
    /// Per line array, the byte its elements start with: `{` (objects) or `"` (strings).
    private let elementOpeners: [UInt8]

    private(set) var skeleton: [UInt8] = []
    private(set) var element: [UInt8] = []
    /// The line arrays found so far (indexes of the names).
    private(set) var seen: Set<Int> = []
    /// Whether the top-level object has closed.
    private(set) var closed = false
    /// Inside a line array: which.
    private(set) var section: Int?

    private var depth = 0
    private var inString = false
    private var escaped = false
    private var expectingKey = false
    private var key: [UInt8]?
    private var lastKey: [UInt8]?
    private var elementOpen = false
    private var expecting: Expect = .firstElementOrEnd

    /// `sections`: the line arrays' names and the byte each one's elements start with.
    init(sections: [(name: String, elementOpener: Character)]) {
        self.sections = sections.map { Array($0.name.utf8) }
        self.elementOpeners = sections.map { $0.elementOpener.asciiValue! }
    }

    /// Inside an element's string: the bytes from `start` up to the next `"` or `\` go to `element`
    /// at once (most of a document's bytes are such runs); where the run ends. Elsewhere, `start`.
    mutating func gatherStringRun(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int {
        guard elementOpen, inString, !escaped else { return start }
        var index = start
        while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") { index += 1 }
        element.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        return index
    }

    mutating func step(_ byte: UInt8) throws(Fault) -> Event {
        if closed { throw .bytesAfterEnd }
        if let section { return try stepInSection(section, byte) }
        skeleton.append(byte)
        if inString {
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                inString = false
                if let finished = key { lastKey = finished; key = nil }
            } else if key != nil {
                key!.append(byte)
            }
            return .none
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
            defer { lastKey = nil }
            if depth == 2, let name = lastKey, let found = sections.firstIndex(of: name) {
                guard seen.insert(found).inserted else { throw .sectionRepeated(found) }
                section = found
                expecting = .firstElementOrEnd
                return .sectionOpened(found)
            }
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            depth -= 1
            if depth < 0 { throw .unopenedClose }
            if depth == 0 { closed = true }
        case UInt8(ascii: ","):
            expectingKey = depth == 1
            lastKey = nil
        default:
            // A value that is not an array ends the key's chance to name a line array. (Whitespace
            // and `:` do not: the skeleton's check then names the byte that is not canonical.)
            if byte > 0x20, byte != UInt8(ascii: ":") { lastKey = nil }
        }
        return .none
    }

    private mutating func stepInSection(_ section: Int, _ byte: UInt8) throws(Fault) -> Event {
        if elementOpen {
            element.append(byte)
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    // A string element ends with its string.
                    if depth == 2 { return closeElement(section) }
                }
                return .none
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 2 { return closeElement(section) }
            default: break
            }
            return .none
        }
        switch byte {
        case elementOpeners[section] where expecting != .commaOrEnd:
            elementOpen = true
            element.removeAll(keepingCapacity: true)
            element.append(byte)
            if byte == UInt8(ascii: "\"") { inString = true } else { depth += 1 }
            return .elementOpened
        case UInt8(ascii: ",") where expecting == .commaOrEnd:
            expecting = .element
            return .none
        case UInt8(ascii: "]") where expecting != .element:
            depth -= 1
            self.section = nil
            skeleton.append(byte)
            return .sectionClosed
        default:
            throw .unexpected(byte, section: section, expecting: expecting)
        }
    }

    private mutating func closeElement(_ section: Int) -> Event {
        elementOpen = false
        expecting = .commaOrEnd
        return .elementClosed(section)
    }
}
