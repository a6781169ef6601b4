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
