/// The stored callbacks of the bug-window top-ups, for remedy to verify their signatures
/// (CallbackSignatures). Templated like detect.sql: names from the job's spec, values bound.
enum CallbackSQL {
    /// Every paid bug-window top-up (a completed top-up with a reference whose paid_at is in the
    /// window: what a correction can rest on) with the stored body and the stored signature.
    /// `{{callback.body_bytes}}` is the body column as received: bytea as it is, text and json
    /// (which keep their input text) as text, whose UTF-8 bytes are the body (remedy's connection
    /// is UTF-8; text also spares bytea's hex form, twice the bytes to send and parse).
    static let signedCallbacks = #"""
    SELECT t.{{tx.reference}}::text,
           {{callback.body_bytes}},
           t.{{callback.signature}}::text
      FROM {{tx.table}} t
     WHERE {{expr.type}} = {{$topup_type}}
       AND {{expr.status}} = {{$completed_status}}
       AND t.{{tx.reference}} IS NOT NULL
       AND {{expr.paid_at}} >= {{$since}}::timestamptz
       AND {{expr.paid_at}} < {{$until}}::timestamptz
    """#

    /// The body column, read as the bytes the shop received.
    static func bodyBytes(_ column: SQLIdentifier, isBytea: Bool) -> String {
        isBytea ? "t.\(column.sql)" : "t.\(column.sql)::text"
    }
}
