import Postgres

/// Which database a plan belongs to: remedy's installation id (made at init), the database's
/// name and, where the role may read it, the cluster's system identifier. A plan or signature
/// from another database never applies here.
public struct DatabaseIdentity: Codable, Sendable, Equatable, CustomStringConvertible {
    public var installationId: String
    public var databaseName: String
    public var systemIdentifier: String?

    public var description: String {
        "\(databaseName) (installation \(installationId)\(systemIdentifier.map { ", system \($0)" } ?? ""))"
    }
}

extension DatabaseIdentity: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let databaseName = m.string("database_name"), let installationId = m.string("installation_id"),
              let systemIdentifier = m.optionalString("system_identifier") else { return nil }
        self.init(installationId: installationId, databaseName: databaseName, systemIdentifier: systemIdentifier)
    }
}
