import Foundation
import Testing
import TestSupport
@testable import RemedyCore

@Suite("Job specs are strict")
struct JobSpecTests {
    let jobDirectory = repositoryRoot.appendingPathComponent("jobs").path + "/tripay-double-credit"

    @Test func theShippedJobLoads() throws {
        let spec = try JobSpec.load(directory: jobDirectory)
        #expect(spec.name == "tripay-double-credit")
        #expect(spec.schema.users.table.sql == #""public"."users""#)
        #expect(spec.ledger.positiveTypes == ["refund", "topup"])
        #expect(spec.ledger.negativeTypes == ["purchase"])
        #expect(spec.approval.quorumRoles == ["finance", "engineering"])
        #expect(spec.negativeBalance == .hold)
        #expect(spec.digest.count == 64)
    }

    @Test func theDigestChangesWithAnyFile() throws {
        let copy = try JobCopy { $0 }
        let original = try JobSpec.load(directory: copy.directory)
        try "-- a comment\n".appendingToFile(copy.root + "/shared/recheck.sql")
        #expect(try JobSpec.load(directory: copy.directory).digest != original.digest)
    }

    /// Apply rechecks one batch under its row locks: a recheck that is not given the batch's users
    /// would recheck nobody, or everybody.
    @Test func aRecheckThatIgnoresTheBatchsUsersIsRefused() throws {
        let copy = try JobCopy { $0 }
        let path = copy.root + "/shared/recheck.sql"
        let recheck = try String(contentsOfFile: path, encoding: .utf8)
        #expect(recheck.contains("{{$user_ids}}"))
        try recheck.replacingOccurrences(of: "{{$user_ids}}", with: "ARRAY(SELECT id::text FROM {{users.table}})")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: RemedyError.self) { try JobSpec.load(directory: copy.directory) }
        #expect(error?.message.contains("sql.recheck never uses {{$user_ids}}") == true, "\(error?.message ?? "no error")")
        try recheck.replacingOccurrences(of: "{{$user_ids}}", with: "{{ $user_ids }}").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: Never.self) { try JobSpec.load(directory: copy.directory) }
    }

    @Test(arguments: [
        // A name's pattern holds to its end: `$` would also match before a final line break.
        ("job: tripay-double-credit", "job: \"tripay-double-credit\\n\"", #"job "tripay-double-credit\u{a}" must be lowercase letters"#),
        ("  since:\n", "  \"since\\n\":\n", #"parameter "since\u{a}" must be lowercase letters, digits and _"#),
        ("max_repeats: 3", "max_repeats: 3\n    max_repeat: 4", "unknown key \"signatures.handler_credit.max_repeat\""),
        ("table: public.users", "table: public.users; DROP TABLE x", "is not a valid SQL name"),
        ("balance: balance", "balance: 'bal\"ance'", "is not a valid SQL name"),
        ("negative_balance: hold", "negative_balance: forgive", "must be one of hold, allow, clamp"),
        ("tripay_paid_at: { column: tripay_paid_at }", "tripay_paid_at: { column: updated_at }", "updated_at, which moves on any edit"),
        ("batch_size: 100", "batch_size: 0", "must be a whole number from 1 to 10000"),
        ("statement_timeout_milliseconds: 1800000", "statement_timeout_milliseconds: 0", "must be a whole number from 1000 to 86400000"),
        ("statement_timeout_milliseconds: 1800000", "statement_timeout_milliseconds: 1800000\n  lock_timeout_milliseconds: 5", "unknown key \"snapshot.lock_timeout_milliseconds\""),
        ("strategy: double-credit", "strategy: guess", "strategy \"guess\" is unknown"),
        ("examine: candidates", "examine: everyone", "examine \"everyone\" must be one of all_users, candidates"),
        ("strategy: double-credit", "strategy: balance-drift", "examine: candidates cannot find drift outside the bug window"),
        ("  detect: shared/detect.sql", "  detect: ../../etc/passwd.sql", "must name a .sql file in the job directory"),
        ("    purchase: -1", "    purchase: 1", "must be -1"),
        ("completed_at: completed_at      #", "completed_at: []  #", "must name from 1 to 8 columns"),
        ("completed_at: completed_at      #", "completed_at: [completed_at, completed_at]  #", "names a column twice"),
        ("completed_at: completed_at      #", "completed_at: [completed_at, \"x; DROP TABLE y\"]  #", "is not a valid SQL name"),
        ("completed_at: completed_at      #", "completed_at: {column: completed_at}  #", "must be a column name or a list of column names"),
    ])
    func aBadSpecIsRefusedNamingTheKey(original: String, replacement: String, message: String) throws {
        try expectSpecRefused(replacing: original, with: replacement, message: message)
    }

    /// A time column takes an ordered fallback list, rendered as COALESCE of the quoted columns;
    /// a single name keeps working as before.
    @Test func aTimeColumnTakesAFallbackList() throws {
        let single = try JobSpec.load(directory: jobDirectory)
        #expect(single.schema.transactions.completedAt.single?.sql == #""completed_at""#)
        let singleTemplate = try SQLTemplate.bindings(for: single, parameters: JobParameters(values: [:]), zonelessTimes: .allCarryTheirZone)
        #expect(singleTemplate.fragments["tx.completed_at"] == #""completed_at""#)
        #expect(singleTemplate.fragments["expr.completed_at"] == #"t."completed_at""#)

        let copy = try JobCopy { $0.replacingOccurrences(of: "completed_at: completed_at      #", with: "completed_at: [completed_at, Created_At]  #") }
        let listed = try JobSpec.load(directory: copy.directory)
        #expect(listed.schema.transactions.completedAt.description == "[completed_at, Created_At]")
        let template = try SQLTemplate.bindings(for: listed, parameters: JobParameters(values: [:]), zonelessTimes: .allCarryTheirZone)
        #expect(template.fragments["expr.completed_at"] == #"COALESCE(t."completed_at", t."Created_At")"#)
        // No single name stands for a list: SQL still naming one is an error, not a silent first column.
        #expect(template.fragments["tx.completed_at"] == nil)
        #expect(throws: RemedyError.self) { try template.render("SELECT t.{{tx.completed_at}} FROM x t", file: "t.sql") }
    }

    @Test(arguments: ["Asia/Jakarta'; DROP TABLE users; --", "", "Asia Jakarta", "/etc/passwd", "+07:00"])
    func aLocalTimeZoneThatIsNotAZoneNameIsRefused(zone: String) throws {
        try expectSpecRefused(replacing: "    callback: tripay_callback_data  #", with: "    local_time_zone: \"\(zone)\"\n    callback: tripay_callback_data  #",
                              message: "schema.transactions.local_time_zone must be a time zone name such as Asia/Jakarta")
    }

    @Test func nonUTF8IsRefused() throws {
        let copy = try JobCopy { $0 }
        try Data([0x6a, 0x6f, 0x62, 0x3a, 0x20, 0xff, 0xfe]).write(to: URL(fileURLWithPath: copy.directory + "/job.yaml"))
        let error = #expect(throws: RemedyError.self) { try JobSpec.load(directory: copy.directory) }
        #expect(error?.message.contains("not valid UTF-8") == true)
    }
}

@Suite("Parameters")
struct JobParameterTests {
    let spec: JobSpec

    init() throws {
        spec = try JobSpec.load(directory: repositoryRoot.appendingPathComponent("jobs").path + "/tripay-double-credit")
    }

    @Test func resolvesWithDefaultsAndNormalizesToUTC() throws {
        let parameters = try JobParameters.resolve(["since=2025-11-20T00:00:00+07:00", "until=2025-12-02T12:00:00+07:00"], for: spec)
        #expect(parameters.values["since"] == "2025-11-19T17:00:00.000000Z")
        #expect(parameters.values["until"] == "2025-12-02T05:00:00.000000Z")
        #expect(parameters.values["paid_at"] == "tripay_paid_at")
    }

    @Test(arguments: [
        (["sinse=2025-11-20T00:00:00+07:00", "until=2025-12-02T12:00:00+07:00"], "unknown parameter \"sinse\""),
        (["since=2025-11-20T00:00:00+07:00"], "missing parameter \"until\""),
        (["since=2025-11-20 00:00:00", "until=2025-12-02T12:00:00+07:00"], "the offset is missing"),
        (["since=2025-11-20T00:00:00+07:00'; DROP TABLE users;--", "until=2025-12-02T12:00:00+07:00"], "unexpected text after the offset"),
        (["since=2025-11-20T00:00:00+07:00", "until=2025-12-02T12:00:00+07:00", "paid_at=updated_at"], "must be one of"),
        (["since=2025-11-20T00:00:00+07:00", "since=2025-11-21T00:00:00+07:00", "until=2025-12-02T12:00:00+07:00"], "given twice"),
        (["since", "until=2025-12-02T12:00:00+07:00"], "must be name=value"),
    ])
    func refusesByName(assignments: [String], message: String) {
        let error = #expect(throws: RemedyError.self) { try JobParameters.resolve(assignments, for: spec) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }
}

@Suite("Timestamps carry an offset")
struct TimestampTests {
    @Test(arguments: [
        ("2025-11-20T00:00:00+07:00", "2025-11-19T17:00:00.000000Z"),
        ("2025-11-20 00:00:00Z", "2025-11-20T00:00:00.000000Z"),
        ("2025-11-20T00:00+0700", "2025-11-19T17:00:00.000000Z"),
        ("2024-02-29T23:59:59.5-03:30", "2024-03-01T03:29:59.500000Z"),
        ("1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"),
        ("2025-11-20T05:30:00+05:30", "2025-11-20T00:00:00.000000Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"),
        ("9999-12-31T23:59:59-12:00", "10000-01-01T11:59:59.000000Z"),
    ])
    func parsesAndNormalizes(text: String, utc: String) throws {
        #expect(try Timestamp(iso8601: text).description == utc)
    }

    @Test(arguments: ["2025-11-20T00:00:00", "2025-02-29T00:00:00Z", "2025-11-20T24:00:00Z", "2025-11-20", "20251120T000000Z",
                      "2025-11-20T00:00:00+16:00", "2025-11-20T00:00:00.1234567Z", "", "2025-11-20T00:00:00Z trailing",
                      "0000-06-01T00:00:00Z", "0001-01-01T00:00:00+07:00"])
    func refusesWhatIsNotAnInstant(text: String) {
        #expect(throws: RemedyError.self) { try Timestamp(iso8601: text) }
    }

    /// A stray character where the offset should be is named, not called a missing offset
    /// (a non-UTF-8 byte in an argument reaches remedy as U+FFFD).
    @Test(arguments: [("2025-11-20T00:00:00\u{FFFD}+07:00", "at position 20, found \"\u{FFFD}\""), ("2025-11-20T00:00:00 +07:00", "at position 20, found \" \""),
                      ("2025-11-20T00:00:00", "the offset is missing")])
    func namesWhatStandsWhereTheOffsetShouldBe(text: String, message: String) {
        let error = #expect(throws: RemedyError.self) { try Timestamp(iso8601: text) }
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "no error")")
    }
}

@Suite("SQL templates bind values and quote names")
struct SQLTemplateTests {
    @Test func namesAreSplicedQuotedAndValuesBound() throws {
        let template = SQLTemplate(fragments: ["users.table": #""public"."users""#], values: ["since": "2025", "until": "2026"])
        let rendered = try template.render("SELECT * FROM {{ users.table }} WHERE a >= {{$since}} AND b < {{$until}} AND c >= {{$since}}", file: "t.sql")
        #expect(rendered.sql == #"SELECT * FROM "public"."users" WHERE a >= $1 AND b < $2 AND c >= $1"#)
        #expect(rendered.parameters.count == 2)
    }

    @Test func unknownTokensAreErrors() {
        let template = SQLTemplate(fragments: [:], values: [:])
        #expect(throws: RemedyError.self) { try template.render("SELECT {{users.nope}}", file: "t.sql") }
        #expect(throws: RemedyError.self) { try template.render("SELECT {{$nope}}", file: "t.sql") }
        #expect(throws: RemedyError.self) { try template.render("SELECT {{ never closed", file: "t.sql") }
    }

    @Test func identifiersRefuseInjection() {
        for bad in ["users\"; DROP TABLE x; --", "1users", "", "a b", "a.b.c", String(repeating: "x", count: 64)] {
            #expect(throws: RemedyError.self) { try SQLIdentifier(validating: bad, qualified: true, what: "t") }
        }
        #expect((try? SQLIdentifier(validating: "Public.Users_2", qualified: true, what: "t"))?.sql == #""Public"."Users_2""#)
    }
}

extension String {
    func appendingToFile(_ path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(utf8))
    }
}
