import Foundation
import Postgres
import Synchronization
import Testing
@testable import RemedyCore

/// Until detect's first row comes back (check's probes, then the statement: half a minute at
/// 1,000,000 users), it says every so often how long it has run, and stops saying so once rows
/// come: a person at the terminal sees it has not hung, and no "still reading" follows the rows.
@Suite("detect says it is still reading until its first row")
struct DetectWaitingTests {
    @Test func detectSaysHowLongItHasReadUntilTheFirstRow() throws {
        let harness = try PipelineHarness(users: 40)
        var detector = Detector(spec: harness.spec, parameters: try harness.parameters)
        detector.waitingIntervalMilliseconds = 20
        let said = Mutex<[Int]>([])
        var saidBeforeTheRows: [Int] = []
        var rows = 0
        _ = try detector.run(
            on: harness.connection,
            waiting: { elapsed in said.withLock { $0.append(elapsed) } },
            prepare: { _ in Thread.sleep(forTimeInterval: 0.3) },  // a slow probe
            onRows: { batch in
                if rows == 0 { saidBeforeTheRows = said.withLock { $0 } }
                rows += batch.count
            })
        #expect(rows > 0)
        #expect(saidBeforeTheRows.count >= 3, "a 300 ms wait at 20 ms intervals: \(saidBeforeTheRows)")
        #expect(saidBeforeTheRows == saidBeforeTheRows.sorted() && (saidBeforeTheRows.first ?? 0) >= 20, "elapsed time, growing")
        // Stopped with the first row: at most one line already under way when it came.
        Thread.sleep(forTimeInterval: 0.2)
        #expect(said.withLock { $0.count } <= saidBeforeTheRows.count + 1)
    }
}
