import Foundation

/// A directory of many files (a bundle's `evidence/`, evidence's `.gateway-responses/`: 838,008
/// at 1,000,000 users) walked one entry at a time. FileManager lists a directory whole before it
/// removes it: about 100 MB of names at that size.
enum FlatDirectory {
    /// Every entry's name but `.` and `..`, one at a time. A missing directory has none.
    static func eachEntry(of directory: String, _ body: (String) throws -> Void) throws {
        guard let handle = opendir(directory) else {
            if errno == ENOENT { return }
            throw RemedyError(.io, "\(directory) cannot be read: \(String(cString: strerror(errno)))")
        }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != ".", name != ".." { try body(name) }
        }
    }

    /// Removes the directory and what it holds, a file at a time (FileManager for anything else
    /// found in it, which remedy never puts there).
    static func remove(_ directory: String) throws {
        try eachEntry(of: directory) { name in
            let path = "\(directory)/\(name)"
            if unlink(path) != 0, errno != ENOENT { try FileManager.default.removeItem(atPath: path) }
        }
        if rmdir(directory) != 0, errno != ENOENT {
            throw RemedyError(.io, "cannot remove \(directory): \(String(cString: strerror(errno)))")
        }
    }
}
