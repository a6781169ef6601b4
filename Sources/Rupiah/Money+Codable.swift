/// Machines get exact strings (`"-9180.00"`), never JSON numbers: a JSON number is a double in
/// most readers, and a double cannot hold every amount.
extension Money: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(exactText: text)
        } catch let error as MoneyParseError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(exactText)
    }
}
