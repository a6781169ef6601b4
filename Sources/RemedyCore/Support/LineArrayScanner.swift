import Foundation

/// The walk shared by the two readers of remedy's line-array documents: plan.json (adjustments,
/// holds, settled, gateway_checks; PlanBundle's reader) and a run report (already_applied, applied, skipped;
/// RunReportReading). Such a document is one top-level object whose named arrays hold a line per
/// element, millions of them, so it is walked a byte at a time and never held.
///
/// The walk respects strings and nesting. Every byte outside the line arrays' elements goes to
/// `skeleton`; each element's bytes are gathered in `element`: `step` takes every byte outside
/// the elements and each element's first, `gatherElement` the rest, and says when one is whole.
/// What the bytes mean is the readers' own: each reads every element with CanonicalJSONReader and
/// the skeleton by decoding, encoding again and comparing, so only remedy's canonical bytes are accepted. The walk keeps the shape
/// those bytes must have: each line array once, and inside one no byte outside an element but `,`
/// between two elements and `]` at the end (canonical form has no whitespace).
struct LineArrayScanner {
    /// What a byte was, where it is more than a byte of the skeleton or of an element.
    enum Event {
        case none
        /// The `[` of line array `section` (an index of the names); it went to the skeleton.
        case sectionOpened(Int)
        /// An element's first byte (the rest goes to `gatherElement`).
        case elementOpened
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

    /// Inside an element: its bytes from `start` on go to `element` at once, up to and including
    /// the byte that closes it, or to the end of `bytes`. Strings, escapes and nesting are
    /// followed here as nowhere else: most of a document's bytes are inside elements, and all the
    /// walk needs of them is where each ends (what they mean is checked when the element is read).
    /// Returns where the gathering stopped, and the element's line array when it closed there.
    /// Outside an element: `start`, nil.
    mutating func gatherElement(in bytes: UnsafeRawBufferPointer, from start: Int) -> (end: Int, closedSection: Int?) {
        guard elementOpen, let section else { return (start, nil) }
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        // Locals in the loop, written back after: the walk's state, byte for byte as `step` kept it.
        var inString = inString, escaped = escaped, depth = depth
        var index = start
        var closed = false
        scanning: while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if inString {
                if escaped {
                    escaped = false
                } else if byte == backslash {
                    escaped = true
                } else if byte == quote {
                    inString = false
                    // A string element ends with its string.
                    if depth == 2 { closed = true; break scanning }
                }
                continue
            }
            switch byte {
            case quote: inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 2 { closed = true; break scanning }
            default: break
            }
        }
        self.inString = inString
        self.escaped = escaped
        self.depth = depth
        element.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        guard closed else { return (index, nil) }
        elementOpen = false
        expecting = .commaOrEnd
        return (index, section)
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
        precondition(!elementOpen, "an element's bytes go to gatherElement")
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
}
