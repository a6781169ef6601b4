extension PostgresRow {
    /// The value at `index` as `T`; NULL throws a `.decoding` error naming the column.
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard let value = try decode(index, as: T?.self) else {
            throw PostgresError(kind: .decoding, message: "\(describeColumn(index)) is NULL; decode it as \(T.self)? to accept NULL")
        }
        return value
    }

    /// The value at `index` as `T`, or nil for NULL.
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T?.Type) throws -> T? {
        guard values.indices.contains(index) else {
            throw PostgresError(kind: .decoding, message: "no column at index \(index); the row has \(values.count)")
        }
        guard let text = values[index] else { return nil }
        do {
            return try T(postgresText: text, typeOID: columns.typeOIDs[index])
        } catch {
            // Name the column here: the conformance only sees the text and the OID.
            let reason = (error as? PostgresError)?.message ?? "\(error)"
            throw PostgresError(kind: .decoding, message: "\(describeColumn(index)) as \(T.self): \(reason)")
        }
    }

    /// The value of the column named `column` (the first, if several share the name).
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try decode(try index(of: column), as: T.self)
    }

    public func decode<T: PostgresDecodable>(_ column: String, as type: T?.Type) throws -> T? {
        try decode(try index(of: column), as: T?.self)
    }

    private func index(of column: String) throws -> Int {
        guard let index = columns.index(named: column) else {
            throw PostgresError(kind: .decoding, message: "no column named \"\(column)\"; the row has \(columns.names.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        return index
    }

    private func describeColumn(_ index: Int) -> String {
        let oid = columns.typeOIDs[index]
        return "column \"\(columns.names[index])\" (\(PostgresTypeOID.name(oid)))"
    }
}
