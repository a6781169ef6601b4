import Foundation

/// The jobs directory copied into the run's directory with the double-credit job's
/// apply.batch_size replaced (`--batch-size`), to see what batch size costs and buys.
enum JobsCopy {
    static func make(of directory: String, in work: String, batchSize: Int) throws -> String {
        let copy = work + "/jobs"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: directory, toPath: copy)
        let spec = copy + "/tripay-double-credit/job.yaml"
        let text = try String(contentsOfFile: spec, encoding: .utf8)
        guard let line = text.split(separator: "\n", omittingEmptySubsequences: false).first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("batch_size:") }) else {
            throw BenchmarkError("\(spec) has no batch_size line")
        }
        let indent = line.prefix { $0 == " " }
        try text.replacingOccurrences(of: String(line), with: "\(indent)batch_size: \(batchSize)").write(toFile: spec, atomically: true, encoding: .utf8)
        return copy
    }
}
