import Foundation

extension FileHandle {
    /// A new temporary file only its owner can read (0600: it holds customers' lines), open for
    /// reading and writing: plan spools and remedy evidence's record files.
    static func creatingPrivateFile(atPath path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forUpdatingAtPath: path) else {
            throw RemedyError(.io, "cannot create the temporary file \(path)")
        }
        return handle
    }
}
