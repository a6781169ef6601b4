import Postgres

/// What the connected role may see of a mapped table: row-level security, ownership, the role's
/// attributes and its SELECT grant. One reading and one rule for `remedy check` (which reports it)
/// and for every command that reads the shop (ShopCatalog, which refuses a filtered table).
struct TableAccess {
    let rowSecurity: Bool
    let forced: Bool
    let owner: Bool
    let superuser: Bool
    let bypassRowSecurity: Bool
    let canSelect: Bool
    let role: String
    let policies: Int

    /// The table's access, or nil when it does not exist or this role cannot see it.
    static func read(_ table: SQLIdentifier, on connection: PostgresConnection) throws -> TableAccess? {
        guard let row = try connection.query(CheckSQL.table, [table.sql]).first else { return nil }
        return TableAccess(rowSecurity: try row.decode(1), forced: try row.decode(2), owner: try row.decode(3), superuser: try row.decode(4),
                           bypassRowSecurity: try row.decode(5), canSelect: try row.decode(6), role: try row.decode(7), policies: try row.decode(8))
    }

    /// Row-level security would filter what this role reads: it is on, and the role is neither a
    /// superuser, nor BYPASSRLS, nor the owner of a table that does not force it. A filtered read
    /// looks like "all in sync".
    var isFiltered: Bool {
        rowSecurity && !superuser && !bypassRowSecurity && (!owner || forced)
    }
}
