/// Built-in type OIDs (pg_type.oid), for decoding checks and readable errors.
enum PostgresTypeOID {
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let text: UInt32 = 25
    static let json: UInt32 = 114
    static let varchar: UInt32 = 1043
    static let date: UInt32 = 1082
    static let timestamp: UInt32 = 1114
    static let timestamptz: UInt32 = 1184
    static let numeric: UInt32 = 1700
    static let uuid: UInt32 = 2950
    static let jsonb: UInt32 = 3802

    private static let names: [UInt32: String] = [
        bool: "bool", bytea: "bytea", int8: "int8", int2: "int2", int4: "int4", text: "text",
        json: "json", varchar: "varchar", date: "date", timestamp: "timestamp",
        timestamptz: "timestamptz", numeric: "numeric", uuid: "uuid", jsonb: "jsonb",
    ]

    static func name(_ oid: UInt32) -> String {
        names[oid] ?? "type OID \(oid)"
    }
}
