/// How remedy reads a number from a field of the raw callback (`t.callback ->> 'field'`): a plain
/// decimal of at most 15 integer digits and 2 decimals, else NULL (one bad row must not fail the
/// whole snapshot). Detect and check read it alike, so check counts what detect will see.
enum CallbackFieldSQL {
    /// Whether the field's text `raw` is such a number. The digit count is a length test beside an
    /// unbounded pattern: PostgreSQL's regex runs `[0-9]{1,15}` about twice as slowly, and check
    /// asks it of every paid top-up (400,000 rows at 100,000 users).
    static func isAmount(_ raw: String) -> String {
        "(\(raw) ~ '^-?[0-9]+([.][0-9]{1,2})?$' AND length(split_part(ltrim(\(raw), '-'), '.', 1)) <= 15)"
    }

    /// The field as numeric, NULL when it is not such a number.
    static func amount(_ raw: String) -> String {
        "CASE WHEN \(isAmount(raw)) THEN \(raw)::numeric END"
    }
}
