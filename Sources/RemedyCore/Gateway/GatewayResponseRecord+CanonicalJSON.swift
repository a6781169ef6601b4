// A gateway answer as a bundle's `evidence/REFERENCE.json` holds it: keys in sorted snake_case
// order, the bytes CanonicalJSON.encode gives (CanonicalJSONWriterTests compare the two), and
// beside the writer its reader (`decodeStored`), which reads the same order and only these bytes.
// A checked plan at 1,000,000 users lists about 840,000 of them, read on every read of the plan:
// with JSONDecoder and JSONEncoder, reading them was most of that read's CPU.

extension GatewayResponseRecord: CanonicalJSONWritable {
    func write(to writer: inout CanonicalJSONWriter) {
        writer.object { o in
            o.member("body", body)
            o.member("fetched_at", fetchedAt)
            o.member("format", format)
            o.member("http_status", httpStatus)
            o.member("reference", reference)
            o.member("url", url)
        }
    }
}

extension GatewayResponseRecord: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let body = m.string("body"), let fetchedAt = m.string("fetched_at"), let format = m.string("format"),
              let httpStatus = m.int("http_status"), let reference = m.string("reference"), let url = m.string("url") else { return nil }
        self.init(format: format, reference: reference, url: url, httpStatus: httpStatus, fetchedAt: fetchedAt, body: body)
    }
}
