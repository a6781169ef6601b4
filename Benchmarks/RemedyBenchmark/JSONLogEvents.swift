import Foundation
import RemedyCore

/// The events of a child's `--log-format json` stderr, each with its time in seconds since the
/// epoch, in the order written; lines that are not such an event are skipped. Nil when the file
/// cannot be read.
func jsonLogEvents(_ stderrPath: String) -> [(seconds: Double, event: [String: Any])]? {
    guard let text = try? String(contentsOfFile: stderrPath, encoding: .utf8) else { return nil }
    return text.split(separator: "\n").compactMap { line in
        guard let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let time = event["time"] as? String, let instant = try? Timestamp(iso8601: time) else { return nil }
        return (Double(instant.microsecondsSinceEpoch) / 1_000_000, event)
    }
}
