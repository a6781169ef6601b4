import Postgres
import Testing
import TestSupport

@Suite struct IdentifierTests {
    @Test func quotesAndDoublesEmbeddedQuotes() throws {
        #expect(try PostgresIdentifier.quoted("users") == #""users""#)
        #expect(try PostgresIdentifier.quoted(#"we"ird"#) == #""we""ird""#)
        #expect(try PostgresIdentifier.quoted("Saldo Dompet") == #""Saldo Dompet""#)
        #expect(try PostgresIdentifier.quotedQualified("shop.wallets") == #""shop"."wallets""#)
        #expect(try PostgresIdentifier.quotedQualified("wallets") == #""wallets""#)
    }

    @Test func refusesWhatCannotBeAName() throws {
        for bad in ["", String(repeating: "a", count: 64), String(repeating: "é", count: 32), "nul\u{0}byte", "a.b.c", ".wallets", "shop."] {
            #expect(throws: PostgresError.self, "\(bad.debugDescription)") { try PostgresIdentifier.quotedQualified(bad) }
        }
        #expect(throws: PostgresError.self) { try PostgresIdentifier.quoted("") }
        #expect(try PostgresIdentifier.quoted(String(repeating: "a", count: 63)).utf8.count == 65)
    }

    @Test func injectionAttemptIsJustAName() throws {
        try withTestDatabase { connection, _ throws in
            try connection.execute("CREATE TABLE x (id int)")
            let name = #"users"; DROP TABLE x; --"#
            let quoted = try PostgresIdentifier.quoted(name)
            #expect(quoted == #""users""; DROP TABLE x; --""#)
            try connection.execute("CREATE TABLE \(quoted) (id int)")
            try connection.execute("INSERT INTO \(quoted) VALUES (1)")
            #expect(try connection.scalar("SELECT count(*) FROM \(quoted)", as: Int.self) == 1)
            #expect(try connection.scalar("SELECT count(*) FROM pg_tables WHERE tablename = $1", [name], as: Int.self) == 1)
            #expect(try connection.scalar("SELECT count(*) FROM x", as: Int.self) == 0)
        }
    }
}
