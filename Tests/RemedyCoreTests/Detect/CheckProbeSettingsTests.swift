import Foundation
import Postgres
import Testing
@testable import RemedyCore

/// Plan runs check's probes inside detect's transaction: the planner settings the pass over the
/// transactions needs for itself must not reach detect.
@Suite("Check's probes leave the transaction's planner settings as they found them")
struct CheckProbeSettingsTests {
    @Test func theSettingsOfThePassOverTheTransactionsAreScopedToIt() throws {
        let harness = try PipelineHarness(users: 30)
        let connection = harness.connection
        func settings() throws -> [String] {
            let row = try connection.query("SELECT current_setting('enable_sort'), current_setting('parallel_tuple_cost')")[0]
            return [try row.decode(0, as: String.self), try row.decode(1, as: String.self)]
        }
        try connection.transaction(TransactionOptions(isolation: .repeatableRead, readOnly: true)) {
            try connection.execute("SET LOCAL parallel_tuple_cost = 0.25")
            let before = try settings()
            let report = try SchemaCheck(spec: harness.spec, parameters: try harness.parameters).probe(on: connection)
            #expect(report.findings.contains { $0.topic == "window" }, "the pass over the transactions ran")
            #expect(try settings() == before)
            #expect(before == ["on", "0.25"])
        }
    }
}
