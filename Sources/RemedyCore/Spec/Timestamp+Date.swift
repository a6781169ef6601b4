import Foundation

extension Timestamp {
    /// From a Foundation date, to the microsecond.
    public init(date: Date) {
        self.init(microsecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
