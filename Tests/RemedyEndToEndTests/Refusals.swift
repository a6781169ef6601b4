import Foundation
import Postgres
import Testing

/// A refusal is ONE line on stderr, `remedy: error: …`, a non-zero exit, nothing on stdout, and
/// nothing changed in the database: no balance, no row of the shop's or remedy's tables.

/// Runs a command against `shop` that must be refused and checks that it left the database as it was.
@discardableResult
func expectRefusal(_ arguments: [String], in shop: EndToEndShop, mentioning fragments: [String], rawLastArgument: [UInt8]? = nil,
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> RemedyRun {
    let before = try DatabaseFingerprint.take(shop)
    let run = try shop.remedy(arguments, rawLastArgument: rawLastArgument)
    try expectOneErrorLine(run, mentioning: fragments, sourceLocation: sourceLocation)
    let changes = try DatabaseFingerprint.take(shop).differences(from: before)
    #expect(changes.isEmpty, "a refused command changed the database: \(changes.prefix(5))\n\(run)", sourceLocation: sourceLocation)
    return run
}

/// The same against another database: its URL, and a connection to fingerprint it with.
@discardableResult
func expectRefusal(_ arguments: [String], onDatabase url: String, watchedThrough connection: PostgresConnection, mentioning fragments: [String],
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> RemedyRun {
    let before = try DatabaseFingerprint.take(connection)
    let run = try RemedyProcess.run(arguments + ["--database-url", url])
    try expectOneErrorLine(run, mentioning: fragments, sourceLocation: sourceLocation)
    let changes = try DatabaseFingerprint.take(connection).differences(from: before)
    #expect(changes.isEmpty, "a refused command changed the database: \(changes.prefix(5))\n\(run)", sourceLocation: sourceLocation)
    return run
}

func expectOneErrorLine(_ run: RemedyRun, mentioning fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(run.exitedNonZero, "must be refused with a non-zero exit\n\(run)", sourceLocation: sourceLocation)
    #expect(run.stderrLines.count == 1, "exactly one line on stderr\n\(run)", sourceLocation: sourceLocation)
    let line = run.stderrLines.first ?? ""
    #expect(line.hasPrefix("remedy: error: "), "\(run)", sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(line.localizedCaseInsensitiveContains(fragment), "the error should mention \"\(fragment)\"\n\(run)", sourceLocation: sourceLocation)
    }
    #expect(run.stdout.isEmpty, "a refusal prints nothing on stdout\n\(run)", sourceLocation: sourceLocation)
}
