import Foundation
import Testing
import Rupiah

@Suite("Money in JSON is an exact string")
struct MoneyCodableTests {
    struct Line: Codable, Equatable { var amount: Money }

    @Test func encodesAsStringAndDecodesBack() throws {
        let line = Line(amount: Money(minorUnits: -918_000))
        let data = try JSONEncoder().encode(line)
        #expect(String(decoding: data, as: UTF8.self) == #"{"amount":"-9180.00"}"#)
        #expect(try JSONDecoder().decode(Line.self, from: data) == line)
    }

    @Test func refusesANumberOrAnInexactString() {
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Line.self, from: Data(#"{"amount":9180.5}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Line.self, from: Data(#"{"amount":"9180.555"}"#.utf8)) }
    }
}
