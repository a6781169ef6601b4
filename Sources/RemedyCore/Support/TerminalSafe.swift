/// Text bound for a person's terminal. Usernames, contacts, hold explanations, approver names,
/// paths and anything else read from the database, a plan or a bundle are chosen by someone else
/// (a customer picks their username): raw, an ESC sequence could clear the screen, rewrite a line,
/// plant a hyperlink or set the window title, a `\r` could overwrite what the line said, and a
/// bidi override could make `Rp 91.800` read as `Rp 008.19`. So every such character is shown
/// escaped, as `\u{…}` with lowercase hex digits (`\u{1b}`, `\u{202e}`, `\u{85}`, `\u{a}`):
///
/// - every control character (Unicode category Cc: C0 including `\n` and `\t`, DEL, C1),
/// - every format character (Cf: the bidi marks, embeddings, overrides and isolates U+200E/F,
///   U+061C, U+202A–U+202E, U+2066–U+2069; zero-width characters; U+FEFF; tag characters),
/// - the line and paragraph separators U+2028 and U+2029.
///
/// A backslash is left as it is: the output is for reading, not for parsing back, so a username
/// that spells `\u{1b}` looks like an escaped ESC and is just as harmless.
public enum TerminalSafe {
    /// Whether `scalar` is shown escaped.
    public static func escapes(_ scalar: Unicode.Scalar) -> Bool {
        // ASCII's only Cc characters are C0 and DEL, and it has no Cf, Zl or Zp: answered without
        // the Unicode tables (show --json at 1,000,000 users spent a third of its time in them).
        if scalar.isASCII { return scalar.value < 0x20 || scalar.value == 0x7F }
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator: return true
        default: return false
        }
    }

    /// `text` with every character `escapes` names written as `\u{…}`; one line, whatever it held.
    public static func text(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: escapes) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            if escapes(scalar) {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Most characters of a customer's label (a username, a contact) a line for people shows. A
    /// customer picks its length too: whole, one name of megabytes would fill every screen the
    /// plan, show and apply print. `--json` and the exports keep it whole.
    public static let maxLabelCharacters = 48
    /// Most Unicode scalars those characters may hold. A character (a grapheme cluster) has no
    /// length of its own: a run of Hangul leading jamo, or a letter with thousands of combining
    /// marks, is one. Past this the cut goes inside the cluster.
    public static let maxLabelScalars = 4 * maxLabelCharacters

    /// `label` as `text` shows it, cut to `maxLabelCharacters` (and `maxLabelScalars`) with what was
    /// left out counted: `Budi…[+4953 characters]`. Cut at a character where the scalars allow, and
    /// before escaping, so an escape is never cut in two.
    public static func label(_ label: String) -> String {
        let scalars = label.unicodeScalars
        guard label.count > maxLabelCharacters || scalars.count > maxLabelScalars else { return text(label) }
        var cut = label.startIndex
        var (keptCharacters, keptScalars) = (0, 0)
        while cut < label.endIndex, keptCharacters < maxLabelCharacters - 1 {
            let next = label.index(after: cut)
            let size = scalars[cut..<next].count
            guard keptScalars + size <= maxLabelScalars - 1 else {
                // A cluster longer than what is left: its first scalars, up to the bound.
                cut = scalars.index(cut, offsetBy: maxLabelScalars - 1 - keptScalars)
                break
            }
            (cut, keptCharacters, keptScalars) = (next, keptCharacters + 1, keptScalars + size)
        }
        return text(String(scalars[..<cut])) + "…[+\(String(scalars[cut...]).count) characters]"
    }

    /// JSON for a terminal: the same JSON value, with every character `escapes` names that the
    /// encoder left raw written as a JSON escape (`\u202e`, a surrogate pair above U+FFFF). Raw
    /// line breaks, tabs and carriage returns are left: an encoder never leaves one inside a
    /// string (JSON forbids it), so those are the layout between tokens.
    public static func json(_ json: String) -> String {
        // Read as UTF-8 bytes, not scalars: show --json and export print hundreds of MB through
        // here, and rebuilding a string a scalar at a time was a quarter of show --json's time.
        var json = json
        return json.withUTF8 { bytes in
            guard var index = firstEscaped(in: bytes, from: 0) else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count + 64)
            var copiedUpTo = 0
            while true {
                let (escaped, length) = scalar(in: bytes, at: index)
                out.append(contentsOf: bytes[copiedUpTo..<index])
                for unit in String(escaped).utf16 { appendJSONEscape(unit, to: &out) }
                copiedUpTo = index + length
                guard let next = firstEscaped(in: bytes, from: copiedUpTo) else { break }
                index = next
            }
            out.append(contentsOf: bytes[copiedUpTo...])
            return String(decoding: out, as: UTF8.self)
        } ?? json
    }

    /// Where the first scalar at or after `start` that `json` writes as an escape begins: one
    /// `escapes` names, other than the layout's line breaks and tabs.
    private static func firstEscaped(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = start
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x80 {
                if escapedASCIIInJSON[Int(byte)] { return index }
                index += 1
            } else {
                let (found, length) = scalar(in: bytes, at: index)
                if escapes(found) { return index }
                index += length
            }
        }
        return nil
    }

    /// `escapes` for each ASCII byte, less the layout's line breaks and tabs: looked up, since nearly
    /// every byte `json` reads is ASCII.
    private static let escapedASCIIInJSON: [Bool] = (0..<128).map { value in
        let scalar = Unicode.Scalar(UInt8(value))
        return escapes(scalar) && scalar != "\n" && scalar != "\r" && scalar != "\t"
    }

    /// The scalar whose UTF-8 encoding starts at `index`, and its length. A String's bytes are
    /// valid UTF-8, so the lead byte says the length.
    private static func scalar(in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (Unicode.Scalar, Int) {
        let lead = bytes[index]
        let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        var value = length == 1 ? UInt32(lead) : UInt32(lead) & (0x7F >> length)
        for offset in 1..<length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
        guard let scalar = Unicode.Scalar(value) else { preconditionFailure("a String holds valid UTF-8") }
        return (scalar, length)
    }

    /// `\u` and four lowercase hex digits.
    private static func appendJSONEscape(_ unit: UInt16, to out: inout [UInt8]) {
        out += [UInt8(ascii: "\\"), UInt8(ascii: "u")]
        for shift in stride(from: 12, through: 0, by: -4) {
            let digit = UInt8(truncatingIfNeeded: unit >> UInt16(shift)) & 0xF
            out.append(digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10)
        }
    }
}

extension String {
    /// This text as it may reach a terminal: see `TerminalSafe`.
    public var terminalSafe: String { TerminalSafe.text(self) }

    /// A customer's label (username, contact) as a line for people shows it: see `TerminalSafe.label`.
    public var terminalLabel: String { TerminalSafe.label(self) }
}
