import Crypto
import Foundation
import Yams

/// A trusted person: the roles are free words; a job's quorum names the ones it needs.
public struct Approver: Hashable, Sendable, Codable {
    public let name: String
    public let role: String
    public let publicKey: PublicKeyText

    public init(name: String, role: String, publicKey: PublicKeyText) {
        self.name = name
        self.role = role
        self.publicKey = publicKey
    }

    static func validate(name: String, role: String) throws {
        guard name.range(of: #"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}\z"#, options: .regularExpression) != nil else {
            throw RemedyError(.badInput, "name \"\(name.prefix(60))\" must be 1-64 letters, digits, . _ @ or -")
        }
        guard role.range(of: #"^[a-z][a-z0-9_-]{0,31}\z"#, options: .regularExpression) != nil else {
            throw RemedyError(.badInput, "role \"\(role.prefix(60))\" must be 1-32 lowercase letters, digits, _ or -")
        }
    }

    static func yamlQuoted(_ text: String) -> String { "\"" + text + "\"" }

    /// `- name: alice` … as `remedy keygen` prints it for the approvers file.
    public var yamlEntry: String {
        "  - name: \(Approver.yamlQuoted(name))\n    role: \(Approver.yamlQuoted(role))\n    public_key: \(publicKey.base64)"
    }
}

/// The approvers file: `approvers:` followed by entries, and optionally the quorum of roles that
/// must sign any later change of the set (default: one finance and one engineering person).
public struct ApproverFile: Sendable {
    public static let defaultQuorum = ["finance", "engineering"]

    public let approvers: [Approver]
    public let quorum: [String]
    /// SHA-256 of the file's bytes: what a set update's signatures cover.
    public let digest: String
    /// The file itself, recorded with the set so every read can check the keys against it.
    public let text: String

    public static func load(path: String) throws -> ApproverFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RemedyError(.io, "cannot read approvers file \(path)")
        }
        guard String(data: data, encoding: .utf8) != nil else { throw RemedyError(.badInput, "\(path) is not UTF-8 text") }
        // Decoded without dropping a byte order mark: the text's bytes are the file's, digest and all.
        return try parse(String(decoding: data, as: UTF8.self), source: path, digest: SHA256.hash(data: data).hexString)
    }

    static func parse(_ text: String, source: String, digest: String) throws -> ApproverFile {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw RemedyError(.badInput, "\(source): not valid YAML; it should be `approvers:` followed by entries from `remedy keygen`")
        }
        var top = try SpecNode(root, path: "", file: source)
        guard top.has("approvers") else { throw RemedyError(.badInput, "\(source): approvers is missing") }
        var approvers: [Approver] = []
        let entries = try top.sequenceOfMappings("approvers")
        for (index, entry) in entries.enumerated() {
            var node = entry
            let name = try node.string("name")
            let role = try node.string("role")
            let key: PublicKeyText
            do { key = try PublicKeyText(validating: try node.string("public_key")) } catch let error as RemedyError {
                throw RemedyError(.badInput, "\(source): approvers[\(index)]: \(error.message)")
            }
            try node.finish()
            try Approver.validate(name: name, role: role)
            approvers.append(Approver(name: name, role: role, publicKey: key))
        }
        let quorum = top.has("quorum") ? try top.strings("quorum") : defaultQuorum
        try top.finish()
        guard !approvers.isEmpty else { throw RemedyError(.badInput, "\(source): the approvers list is empty") }
        guard Set(approvers.map(\.publicKey)).count == approvers.count else {
            throw RemedyError(.badInput, "\(source): a public_key is listed twice; each person has one entry per key")
        }
        guard !quorum.isEmpty else { throw RemedyError(.badInput, "\(source): quorum must name at least one role") }
        return ApproverFile(approvers: approvers, quorum: quorum, digest: digest, text: text)
    }
}

extension Approver: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let name = m.string("name"), let publicKey = m.member("public_key", PublicKeyText.init(reading:)),
              let role = m.string("role") else { return nil }
        self.init(name: name, role: role, publicKey: publicKey)
    }
}
