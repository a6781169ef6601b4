/// How the shop's mapped time columns are read as instants. A `timestamp without time zone`
/// holds a wall time and no zone: an app writing UTC (`toISOString()`) and one set to WIB (Laravel's
/// `APP_TIMEZONE=Asia/Jakarta`) fill it alike, seven hours apart. The spec names the zone
/// (`schema.transactions.local_time_zone`); without it such columns are read as UTC, as the
/// session's TimeZone reads them, and check says so for a person to confirm.
public struct ZonelessTimes: Sendable, Equatable {
    /// Mapped time columns of the transactions table whose type carries no zone.
    public let columns: Set<SQLIdentifier>
    /// The spec's zone for them; nil reads them as UTC.
    public let zone: String?

    public init(columns: Set<SQLIdentifier>, zone: String?) {
        self.columns = columns
        self.zone = zone
    }

    /// The bound value a job's SQL template names the zone by (SQLTemplate.bindings binds it).
    public static let templateZoneParameter = "local_time_zone"
    public static let templateZone = "{{$\(templateZoneParameter)}}"

    /// Every column carries its zone (or none is mapped): read as they are.
    public static let allCarryTheirZone = ZonelessTimes(columns: [], zone: nil)

    /// `column` of a row of `alias` as an instant: the column itself, or its wall time read in the
    /// spec's zone, which `zoneValue` (a bound parameter's token) gives at run time.
    public func read(_ column: SQLIdentifier, alias: String, zoneValue: String) -> String {
        guard zone != nil, columns.contains(column) else { return "\(alias).\(column.sql)" }
        return "(\(alias).\(column.sql) AT TIME ZONE \(zoneValue)::text)"
    }

    /// A time column or fallback list, each column read as `read(_:alias:zoneValue:)` does.
    public func read(_ time: ShopSchemaMap.TimeColumn, alias: String, zoneValue: String) -> String {
        let quoted = time.columns.map { read($0, alias: alias, zoneValue: zoneValue) }
        return quoted.count == 1 ? quoted[0] : "COALESCE(\(quoted.joined(separator: ", ")))"
    }

    /// Whether `read` wraps any column: the SQL then needs the zone bound.
    public var usesZone: Bool { zone != nil && !columns.isEmpty }

    /// Whether `read(time, …)` refers to the zone.
    public func readsInZone(_ time: ShopSchemaMap.TimeColumn) -> Bool {
        zone != nil && time.columns.contains { columns.contains($0) }
    }
}
