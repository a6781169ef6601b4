import Foundation

/// Keys for a set of people, each written to `directory/NAME.key`, and the approvers file that
/// lists them: what people set up by hand with `remedy keygen`, done at once for the demo and the
/// benchmark.
public struct KeyRing {
    public let keys: [String: SigningKey]
    public let approversFile: String

    public static func create(_ people: [(name: String, role: String)], in directory: String) throws -> KeyRing {
        var keys: [String: SigningKey] = [:]
        var entries: [String] = []
        for (name, role) in people {
            let key = try SigningKey.generate(name: name, role: role)
            try key.write(to: "\(directory)/\(name).key")
            keys[name] = key
            entries.append(Approver(name: name, role: role, publicKey: key.publicKey).yamlEntry)
        }
        let approversFile = "\(directory)/approvers.yaml"
        try Data(("approvers:\n" + entries.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: approversFile))
        return KeyRing(keys: keys, approversFile: approversFile)
    }
}
