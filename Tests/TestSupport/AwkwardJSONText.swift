/// Text a JSON writer must escape exactly as JSONEncoder does: quotes and backslashes, every
/// control character JSON names and those it does not, DEL, non-ASCII up to a family emoji, the
/// separators and BOM, and text shaped like JSON or like an escape.
public enum AwkwardJSONText {
    public static let all = [
        "", "plain", "quote\" back\\slash /slash", "\u{0}\u{1}\u{7}\u{8}\u{9}\u{a}\u{b}\u{c}\u{d}\u{e}\u{1a}\u{1f} \u{7f}",
        "é 漢字 🙂 👨‍👩‍👧‍👦 \u{2028}\u{2029} \u{feff}", "\"holds\":[]", "{}[],:", "\\u0000", "T4715/REF-ÿ",
    ]
}
