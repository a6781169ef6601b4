import Foundation

/// The checkout the tests were compiled from: the nearest directory above this file holding
/// Package.swift. Tests read jobs/, runbooks/ and Sources/ through it, so a test file can move
/// between folders without counting `..`.
public let repositoryRoot: URL = {
    var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    for _ in 0..<8 {
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { return directory }
        directory.deleteLastPathComponent()
    }
    preconditionFailure("no Package.swift above \(#filePath)")
}()
