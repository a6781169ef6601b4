import Foundation

/// A progress line on stdout with the UTC time, flushed at once (the output often goes to a file).
func note(_ text: String) {
    let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withTime, .withColonSeparatorInTime])
    print("[\(stamp)] \(text)")
    fflush(nil)
}

/// Runs `body` `runs` times and returns every run's seconds (the first one warms the cache).
func timed(_ name: String, runs: Int, _ body: () throws -> Int) throws -> Timing {
    var seconds: [Double] = []
    var rows = 0
    for run in 1...max(1, runs) {
        let began = ContinuousClock.now
        rows = try body()
        seconds.append((ContinuousClock.now - began).seconds)
        note("\(name): run \(run) \(format(seconds.last!)) s (\(rows) rows)")
    }
    return Timing(runs: seconds, rows: rows)
}

func format(_ value: Double, digits: Int = 3) -> String {
    String(format: "%.\(digits)f", value)
}

func megabytes(_ bytes: Int) -> Double { Double(bytes) / 1_048_576 }

func fileSize(_ path: String) -> Int {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
}
