import Foundation
import Testing
import TestSupport
@testable import RemedyCore

/// How a job's SQL reads the shop's time columns: zone-less ones in the spec's zone, through a
/// bound value, the others as they are.
@Suite("Zone-less times")
struct ZonelessTimesTests {
    /// `local_time_zone` reads only the zone-less columns in the zone, through a bound value; a
    /// column that carries its zone is read as it is; without the column facts no time
    /// expression exists to render.
    @Test func zonelessTimesAreReadInTheSpecsZone() throws {
        let copy = try JobCopy {
            $0.replacingOccurrences(of: "completed_at: completed_at      #", with: "completed_at: [completed_at, Created_At]  #")
                .replacingOccurrences(of: "    callback: tripay_callback_data  #", with: "    local_time_zone: Asia/Jakarta\n    callback: tripay_callback_data  #")
        }
        let spec = try JobSpec.load(directory: copy.directory)
        #expect(spec.schema.transactions.localTimeZone == "Asia/Jakarta")
        let parameters = JobParameters(values: ["paid_at": "tripay_paid_at"])
        let times = ZonelessTimes(columns: [try SQLIdentifier(validating: "Created_At", what: "test"), try SQLIdentifier(validating: "tripay_paid_at", what: "test")],
                                  zone: "Asia/Jakarta")
        let template = try SQLTemplate.bindings(for: spec, parameters: parameters, zonelessTimes: times)
        #expect(template.fragments["expr.completed_at"] == #"COALESCE(t."completed_at", (t."Created_At" AT TIME ZONE {{$local_time_zone}}::text))"#)
        #expect(template.fragments["expr.paid_at"] == #"(t."tripay_paid_at" AT TIME ZONE {{$local_time_zone}}::text)"#)
        let rendered = try template.render("SELECT {{expr.paid_at}} FROM x t", file: "t.sql")
        #expect(rendered.sql == #"SELECT (t."tripay_paid_at" AT TIME ZONE $1::text) FROM x t"#)
        #expect(rendered.names == ["local_time_zone"])

        // Every column carries its zone: read as it is, nothing bound.
        let plain = try SQLTemplate.bindings(for: spec, parameters: parameters, zonelessTimes: ZonelessTimes(columns: [], zone: "Asia/Jakarta"))
        #expect(plain.fragments["expr.paid_at"] == #"t."tripay_paid_at""#)
        #expect(try plain.render("SELECT {{expr.paid_at}} FROM x t", file: "t.sql").names.isEmpty)

        // Without the column facts: no time expression to render.
        let blind = try SQLTemplate.bindings(for: spec, parameters: parameters)
        #expect(blind.fragments["expr.paid_at"] == nil && blind.fragments["expr.created_at"] == nil)
        #expect(throws: RemedyError.self) { try blind.render("SELECT {{expr.paid_at}} FROM x t", file: "t.sql") }
    }
}
