import Foundation
import Postgres
import Testing
import TestSupport
@testable import RemedyCore
import Rupiah

/// Upgrading an installation that already booked corrections: each migration must accept the
/// book as it stands, and only then hold it to the new rule.
@Suite("Schema upgrades keep the book that was written before them")
struct SchemaUpgradeTests {
    /// remedy's schema up to `version`, two plans (plan-a, plan-b) and a run of plan-a: returns the run's id.
    private static func installUpTo(version: Int, on connection: PostgresConnection) throws -> String {
        try connection.transaction {
            for migration in RemedySchemaSQL.migrations where migration.version <= version {
                try connection.executeScript(migration.sql)
                try connection.execute(RemedySchemaSQL.recordVersion, [migration.version])
            }
        }
        for digest in ["plan-a", "plan-b"] {
            try connection.execute("""
                INSERT INTO remedy.plans (digest, job, kind, spec_digest, planner_key, planner_name, expires_at, totals)
                VALUES ($1, 'j', 'correction', 's', 'k', 'andi', now() + interval '1 day', '{}')
                """, [digest])
        }
        let run = UUID().uuidString.lowercased()
        try connection.execute("INSERT INTO remedy.runs (id, plan_digest, job, operator_key, operator_name, host, pid) VALUES ($1::uuid, 'plan-a', 'j', 'k', 'andi', 'h', 1)", [run])
        return run
    }

    @Test func version9AcceptsEarlierEntriesThenRefusesAnEntryNamingAnotherPlan() throws {
        try withTestDatabase { connection, _ in
            let run = try Self.installUpTo(version: 8, on: connection)
            // Booked under schema 8: a correction's two entries, under the run of the plan they name.
            try connection.execute("""
                INSERT INTO remedy.entries (idempotency_key, kind, job, plan_digest, run_id, user_id, amount, evidence)
                VALUES ('k1', 'discovered', 'j', 'plan-a', $1::uuid, 'u1', 9180, '{}'), ('k1', 'reversal', 'j', 'plan-a', $1::uuid, 'u1', -9180, NULL)
                """, [run])

            let version9 = try #require(RemedySchemaSQL.migrations.first { $0.version == 9 })
            try connection.transaction { try connection.executeScript(version9.sql) }

            #expect(try connection.query("SELECT count(*) FROM remedy.entries")[0].decode(0, as: Int.self) == 2, "the book is kept")
            let crossed = #expect(throws: PostgresError.self) {
                try connection.execute("""
                    INSERT INTO remedy.entries (idempotency_key, kind, job, plan_digest, run_id, user_id, amount, evidence)
                    VALUES ('k2', 'discovered', 'j', 'plan-b', $1::uuid, 'u2', 9180, '{}')
                    """, [run])
            }
            #expect(crossed.map { "\($0)".contains("entries_run_plan_fkey") } == true, "\(String(describing: crossed))")
            // A plan that does not exist is refused too (through the run's own key to its plan).
            #expect(throws: PostgresError.self) {
                try connection.execute("""
                    INSERT INTO remedy.entries (idempotency_key, kind, job, plan_digest, run_id, user_id, amount, evidence)
                    VALUES ('k3', 'discovered', 'j', 'no-such-plan', $1::uuid, 'u3', 9180, '{}')
                    """, [run])
            }
        }
    }

    /// Schema 10 books the evidence as text and checks an entry's run and plan once per statement
    /// instead of by a foreign key: the book written before is kept (its evidence as jsonb
    /// rendered it), and what the key refused is still refused, a crossed row among good ones
    /// included, and a run that entries name can no longer be removed or moved to another plan.
    @Test func version10KeepsTheBookAndStillRefusesAnEntryOffItsRun() throws {
        try withTestDatabase { connection, _ in
            let run = try Self.installUpTo(version: 9, on: connection)
            try connection.execute("""
                INSERT INTO remedy.entries (idempotency_key, kind, job, plan_digest, run_id, user_id, amount, evidence)
                VALUES ('k1', 'discovered', 'j', 'plan-a', $1::uuid, 'u1', 9180, '{"top_ups": [], "classification": ["handler_credit"]}'),
                       ('k1', 'reversal', 'j', 'plan-a', $1::uuid, 'u1', -9180, NULL)
                """, [run])

            let version10 = try #require(RemedySchemaSQL.migrations.first { $0.version == 10 })
            try connection.transaction { try connection.executeScript(version10.sql) }

            #expect(try connection.query("SELECT count(*) FROM remedy.entries")[0].decode(0, as: Int.self) == 2, "the book is kept")
            #expect(try connection.query("SELECT evidence FROM remedy.entries WHERE kind = 'discovered'")[0].decode(0, as: String.self)
                    == #"{"top_ups": [], "classification": ["handler_credit"]}"#, "jsonb's rendering, kept as text")
            let canonical = #"{"classification":["handler_credit"],"top_ups":[]}"#
            try connection.execute("""
                INSERT INTO remedy.entries (idempotency_key, kind, job, plan_digest, run_id, user_id, amount, evidence)
                VALUES ('k2', 'discovered', 'j', 'plan-a', $1::uuid, 'u2', 9180, $2)
                """, [run, canonical])
            #expect(try connection.query("SELECT evidence FROM remedy.entries WHERE idempotency_key = 'k2'")[0].decode(0, as: String.self) == canonical,
                    "booked byte for byte")

            for (label, planDigest, runId) in [("another plan", "plan-b", run), ("no such plan", "no-such-plan", run),
                                               ("no such run", "plan-a", UUID().uuidString.lowercased())] {
                let refused = #expect(throws: PostgresError.self, "\(label)") {
                    // One stray row among good ones refuses the whole statement.
                    try connection.execute("""
                        INSERT INTO remedy.entries (idempotency_key, kind, job, plan_digest, run_id, user_id, amount, evidence)
                        VALUES ('k3', 'discovered', 'j', 'plan-a', $1::uuid, 'u3', 9180, '{}'),
                               ('k4', 'discovered', 'j', $2, $3::uuid, 'u4', 9180, '{}')
                        """, [run, planDigest, runId])
                }
                #expect(refused.map { "\($0)".contains("entries_run_plan:") && $0.sqlState == "23503" } == true, "\(label): \(String(describing: refused))")
            }
            #expect(try connection.query("SELECT count(*) FROM remedy.entries")[0].decode(0, as: Int.self) == 3, "nothing of a refused statement is booked")

            for (label, sql) in [("moved to another plan", "UPDATE remedy.runs SET plan_digest = 'plan-b'"),
                                 ("renamed", "UPDATE remedy.runs SET id = gen_random_uuid()"),
                                 ("deleted", "DELETE FROM remedy.runs"),
                                 ("truncated", "TRUNCATE remedy.runs CASCADE")] {
                let refused = #expect(throws: PostgresError.self, "a run \(label)") { try connection.execute(sql) }
                #expect(refused?.sqlState == "42501", "a run \(label): \(String(describing: refused))")
            }
            // What apply does to a run stays allowed.
            #expect(try connection.execute("UPDATE remedy.runs SET finished_at = now(), outcome = 'complete' WHERE id = $1::uuid", [run]) == 1)
        }
    }
    /// Schema 11 signs receivables and acknowledgements: those written before it stay as they are
    /// and still count, and from then on the database refuses one without a signature, and remedy
    /// one no trusted key made.
    @Test func version11KeepsEarlierReceivablesAndAcknowledgementsAndRefusesUnsignedOnes() throws {
        try withTestDatabase { connection, _ in
            _ = try Self.installUpTo(version: 10, on: connection)
            try connection.execute("INSERT INTO remedy.receivables (idempotency_key, job, plan_digest, user_id, amount) VALUES ('r1', 'j', 'plan-a', 'u1', 5000)")
            let acknowledge = """
                INSERT INTO remedy.acknowledgements (job, user_id, balance, ledger, open_receivables, reason, acknowledged_by, public_key, plan_digest)
                VALUES ('j', 'u1', 0, 0, 0, 'known', 'sari', 'k', 'plan-a')
                """
            try connection.execute(acknowledge)

            let version11 = try #require(RemedySchemaSQL.migrations.first { $0.version == 11 })
            try connection.transaction { try connection.executeScript(version11.sql) }

            #expect(try connection.query("SELECT count(*) FROM remedy.open_receivables")[0].decode(0, as: Int.self) == 1, "the receivable is kept, open")
            try BookSignature.requireSigned(on: connection)
            let unsigned = #expect(throws: PostgresError.self) {
                try connection.execute("INSERT INTO remedy.receivables (idempotency_key, job, plan_digest, user_id, amount) VALUES ('r2', 'j', 'plan-a', 'u2', 5000)")
            }
            #expect(unsigned?.sqlState == "23514" && unsigned.map { "\($0)".contains("receivables_signed") } == true, "\(String(describing: unsigned))")
            #expect(try Acknowledgements(connection: connection).latest(job: "j").byUser["u1"] != nil, "the acknowledgement made before is read")
            let unsignedAcknowledgement = #expect(throws: PostgresError.self) { try connection.execute(acknowledge) }
            #expect(unsignedAcknowledgement.map { "\($0)".contains("acknowledgements_signed") } == true, "\(String(describing: unsignedAcknowledgement))")

            let stranger = try SigningKey.generate(name: "eve", role: "finance")
            let signature = try BookSignature.sign(BookSignature.opened(installationId: "", idempotencyKey: "r3", job: "j", planDigest: "plan-a", userId: "u3",
                                                                                    amount: try Money(exactText: "5000.00")), with: stranger)
            try connection.execute("INSERT INTO remedy.receivables (idempotency_key, job, plan_digest, user_id, amount, signer, signature) VALUES ('r3', 'j', 'plan-a', 'u3', 5000, $1, $2)",
                                   [stranger.publicKey.base64, signature])
            let refused = #expect(throws: RemedyError.self) { try BookSignature.requireSigned(on: connection) }
            #expect(refused?.message.contains("receivable r3") == true, "\(String(describing: refused))")
        }
    }
}
