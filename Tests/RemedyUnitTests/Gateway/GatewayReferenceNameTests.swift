import Testing
@testable import RemedyCore

/// A reference names a file in the bundle and goes into the gateway's URL: only what Tripay
/// issues passes, whatever the shop's row holds.
@Suite struct GatewayReferenceNameTests {
    @Test func whatTripayIssuesPasses() {
        for reference in ["T4715928751370JMVQX", "DEV-T12345", "a", "A_b-9", String(repeating: "Z", count: 64)] {
            #expect(GatewayResponseRecord.isSafeReference(reference), "\(reference)")
        }
    }

    @Test func nothingAPathAQueryOrALineCanBeBuiltFromPasses() {
        let refused = ["", String(repeating: "Z", count: 65), "../etc/passwd", "a/b", "a.json", "T1 ", " T1", "T1\n", "T1\r\n", "\nT1",
                       "T1\u{0}", "T1?x=1", "T1&x", "T1%0a", "T1\u{2028}", "Ｔ1", "é", "T1\t", "T1#"]
        for reference in refused {
            #expect(!GatewayResponseRecord.isSafeReference(reference), "\(reference.debugDescription)")
        }
    }
}
