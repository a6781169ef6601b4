import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The whole machine's CPU time from Linux's /proc/stat (its first line: every core's jiffies by
/// state), so a child's own CPU can be set beside what the machine did meanwhile: on a server that
/// runs the database too, busy time that is not the child's is mostly the database's.
struct MachineCPU {
    /// Jiffies spent working (user, nice, system, irq, softirq, steal) and in all (adding idle and
    /// iowait), summed over the cores.
    let busyJiffies: UInt64
    let totalJiffies: UInt64

    /// Now; nil where /proc/stat cannot be read or is not in Linux's form.
    static func now() -> MachineCPU? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let first = text.split(separator: "\n").first, first.hasPrefix("cpu ") else { return nil }
        let fields = first.split(separator: " ").dropFirst().compactMap { UInt64($0) }
        // user nice system idle iowait irq softirq steal (guest time is already in user).
        guard fields.count >= 8 else { return nil }
        let busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
        return MachineCPU(busyJiffies: busy, totalJiffies: busy + fields[3] + fields[4])
    }

    /// What the machine did between two readings, in core-seconds.
    struct Interval {
        let busySeconds: Double
        let availableSeconds: Double

        var busyShare: Double { availableSeconds > 0 ? busySeconds / availableSeconds : 0 }
    }

    static func between(_ start: MachineCPU?, _ end: MachineCPU?) -> Interval? {
        guard let start, let end, end.totalJiffies > start.totalJiffies, end.busyJiffies >= start.busyJiffies else { return nil }
        let perSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard perSecond > 0 else { return nil }
        return Interval(busySeconds: Double(end.busyJiffies - start.busyJiffies) / perSecond,
                        availableSeconds: Double(end.totalJiffies - start.totalJiffies) / perSecond)
    }
}
