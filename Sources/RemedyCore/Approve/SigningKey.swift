import Crypto
import Foundation
import Yams

/// A person's Ed25519 key: the private half in a file only its owner can read (mode 0600), the
/// public half in the approvers file. Name and role travel with the key so a signature says who.
public struct SigningKey: Sendable {
    public let name: String
    public let role: String
    let privateKey: Curve25519.Signing.PrivateKey

    public var publicKey: PublicKeyText { PublicKeyText(privateKey.publicKey) }

    public static func generate(name: String, role: String) throws -> SigningKey {
        try Approver.validate(name: name, role: role)
        return SigningKey(name: name, role: role, privateKey: Curve25519.Signing.PrivateKey())
    }

    public func sign(_ message: Data) throws -> Data {
        try privateKey.signature(for: message)
    }

    /// Writes the key file with mode 0600, refusing to overwrite an existing file.
    public func write(to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw RemedyError(.io, "\(path) already exists; choose another --out or remove it first")
        }
        let text = """
        # remedy signing key for \(name) (\(role)). Secret: keep it mode 0600, never commit it.
        name: \(Approver.yamlQuoted(name))
        role: \(Approver.yamlQuoted(role))
        public_key: \(publicKey.base64)
        private_key: \(privateKey.rawRepresentation.base64EncodedString())

        """
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw RemedyError(.io, "cannot write \(path); check the directory exists and is writable")
        }
    }

    /// Reads a key file; refuses one that others can read, as ssh does.
    public static func load(path: String) throws -> SigningKey {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let attributes, let data = FileManager.default.contents(atPath: path) else {
            throw RemedyError(.io, "cannot read key file \(path); pass the file `remedy keygen` wrote")
        }
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw RemedyError(.io, "key file \(path) is readable by others (mode \(String(mode, radix: 8))); run chmod 600 \(path)")
        }
        guard let text = String(data: data, encoding: .utf8),
              let node = try? Yams.compose(yaml: text), case .mapping = node else {
            throw RemedyError(.io, "key file \(path) is not a remedy key; pass the file `remedy keygen` wrote")
        }
        func field(_ key: String) -> String? { node[key]?.string }
        guard let name = field("name"), let role = field("role"), let privateText = field("private_key"),
              let raw = Data(base64Encoded: privateText),
              let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw RemedyError(.io, "key file \(path) is not a remedy key (name, role, private_key); pass the file `remedy keygen` wrote")
        }
        let key = SigningKey(name: name, role: role, privateKey: privateKey)
        if let publicText = field("public_key"), publicText != key.publicKey.base64 {
            throw RemedyError(.io, "key file \(path): public_key does not belong to private_key; the file was edited")
        }
        return key
    }
}

/// An Ed25519 public key as the approvers file and the database hold it: base64 of the 32 raw bytes.
public struct PublicKeyText: Hashable, Sendable, Codable, CustomStringConvertible {
    public let base64: String

    init(_ key: Curve25519.Signing.PublicKey) {
        self.base64 = key.rawRepresentation.base64EncodedString()
    }

    public init(validating base64: String) throws {
        guard let raw = Data(base64Encoded: base64), raw.count == 32,
              (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil else {
            throw RemedyError(.badInput, "public_key \"\(base64.prefix(60))\" is not base64 of a 32-byte Ed25519 key")
        }
        self.base64 = base64
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        try self.init(validating: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(base64)
    }

    /// Verification, never byte comparison: Ed25519 signatures may be randomized (macOS).
    public func isValidSignature(_ signature: Data, for message: Data) -> Bool {
        guard let raw = Data(base64Encoded: base64), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// A short form for people: the first 12 characters.
    public var description: String { String(base64.prefix(12)) + "…" }
}

extension PublicKeyText {
    /// A key in a signed document: a string, refused where it starts unless it is a 32-byte Ed25519 key.
    init?(reading reader: inout CanonicalJSONReader) {
        guard let key = reader.string(as: { try? PublicKeyText(validating: $0) }) else { return nil }
        self = key
    }
}
