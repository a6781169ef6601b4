import Foundation
import Testing
@testable import RemedyCore

@Suite struct HexStringTests {
    @Test func hexIsLowercaseTwoDigitsAByte() {
        #expect([UInt8]([0, 1, 0x0f, 0x10, 0xab, 0xff]).hexString == "00010f10abff")
        #expect([UInt8]().hexString == "")
        let bytes = (0...255).map { UInt8($0) }
        #expect(bytes.hexString == bytes.map { String(format: "%02x", $0) }.joined())
    }
}
