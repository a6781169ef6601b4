/// Column names and type OIDs, shared by every row of one result.
final class PostgresColumns: Sendable {
    let names: [String]
    let typeOIDs: [UInt32]

    init(names: [String], typeOIDs: [UInt32]) {
        self.names = names
        self.typeOIDs = typeOIDs
    }

    func index(named name: String) -> Int? {
        names.firstIndex(of: name)
    }
}

/// One row, its values copied out of the PGresult as text (nil = SQL NULL).
public struct PostgresRow: Sendable {
    let columns: PostgresColumns
    let values: [String?]

    init(columns: PostgresColumns, values: [String?]) {
        self.columns = columns
        self.values = values
    }

    public var columnCount: Int { values.count }

    public func columnName(_ index: Int) -> String {
        columns.names[index]
    }

    /// The column's type OID (e.g. 1700 numeric, 1184 timestamptz).
    public func columnTypeOID(_ index: Int) -> UInt32 {
        columns.typeOIDs[index]
    }

    public func isNull(_ index: Int) -> Bool {
        values[index] == nil
    }

    /// The raw text value as the server sent it; nil for NULL.
    public func text(_ index: Int) -> String? {
        values[index]
    }
}
