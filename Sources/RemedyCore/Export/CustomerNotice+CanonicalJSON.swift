// A customer notice as CanonicalJSONWriter writes it: the bytes CanonicalJSON.encode gives (keys in
// sorted snake_case order, nil members left out), one per corrected customer in `export --notices
// --format json`, as export's lines are (ExportLine+CanonicalJSON). CanonicalJSONWriterTests and
// ExportStreamingTests hold the two to the same bytes.
extension CustomerNotice: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("amount", amount)
            o.member("amount_rupiah", amountRupiah)
            o.member("contact", ifPresent: contact) { $0.string($1) }
            o.member("label", label)
            o.member("message_en", messageEn)
            o.member("message_id", messageId)
            o.member("outcome", outcome.rawValue)
            o.member("owed", owed)
            o.member("references") { $0.array(references) { $0.string($1) } }
            o.member("user_id", userId)
        }
    }
}
