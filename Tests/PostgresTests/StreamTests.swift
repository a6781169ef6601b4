import Foundation
import Postgres
import Testing
import TestSupport

@Suite struct StreamTests {
    @Test func millionRowsStreamInBoundedMemory() throws {
        try HeavyTest.exclusively {
            try withTestDatabase { connection, _ throws in
                let rowCount = 1_000_000
                let clock = ContinuousClock()
                let began = clock.now
                let before = residentSetBytes()
                var peak = before
                var count = 0
                var sum = 0
                var lastLabel = ""
                try connection.stream("SELECT i, 'wallet ' || i AS label, (i * 100)::numeric(20,2) AS amount FROM generate_series(1, $1::int) AS i", [rowCount]) { row in
                    count += 1
                    sum += try row.decode(0, as: Int.self)
                    lastLabel = try row.decode("label", as: String.self)
                    if count % 50_000 == 0 { peak = max(peak, residentSetBytes()) }
                }
                let after = residentSetBytes()
                peak = max(peak, after)
                let growthMiB = Double(peak - before) / 1_048_576
                print("stream of \(count) rows: VmRSS before \(before / 1024) kB, after \(after / 1024) kB, peak growth \(String(format: "%.1f", growthMiB)) MiB, \(clock.now - began)")
                #expect(count == rowCount)
                #expect(sum == rowCount * (rowCount + 1) / 2)
                #expect(lastLabel == "wallet 1000000")
                #expect(growthMiB < 64)
            }
        }
    }

    @Test func throwingRowHandlerCancelsAndLeavesTheConnectionUsable() throws {
        try withTestDatabase { connection, _ throws in
            var seen = 0
            #expect(throws: TestFailure.self) {
                try connection.stream("SELECT i FROM generate_series(1, 10000000) AS i") { _ in
                    seen += 1
                    if seen == 10 { throw TestFailure("enough") }
                }
            }
            #expect(seen == 10)
            #expect(try connection.scalar("SELECT 'still here'", as: String.self) == "still here")
        }
    }

    @Test func serverErrorMidStreamIsThrown() throws {
        try withTestDatabase { connection, _ throws in
            var seen = 0
            let error = #expect(throws: PostgresError.self) {
                try connection.stream("SELECT 1 / (500 - i) FROM generate_series(1, 1000) AS i") { _ in seen += 1 }
            }
            #expect(error?.sqlState == "22012")
            #expect(seen == 499)
            #expect(try connection.scalar("SELECT 1", as: Int.self) == 1)
        }
    }

    @Test func emptyResultAndParameters() throws {
        try withTestDatabase { connection, _ throws in
            var seen = 0
            try connection.stream("SELECT 1 WHERE $1::bool", [false]) { _ in seen += 1 }
            #expect(seen == 0)
        }
    }
}
