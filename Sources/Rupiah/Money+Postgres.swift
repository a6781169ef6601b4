import Postgres

/// `numeric` columns decode exactly into sen; a value with more than two decimals that are not
/// zeros is refused rather than rounded. Parameters go out as exact text (`-9180.00`).
extension Money: PostgresDecodable, PostgresEncodable {
    public init(postgresText: String, typeOID: UInt32) throws {
        try self.init(exactText: postgresText)
    }

    public var postgresText: String? { exactText }
}
