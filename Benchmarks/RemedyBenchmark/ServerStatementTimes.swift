import Foundation
import Postgres

/// The server's time during apply, statement by statement, from `pg_stat_statements`: what the
/// sampling of `pg_stat_activity` estimated by hand (BENCHMARKS.md, twenty-second round), counted
/// exactly, planning apart from execution (which includes waiting for locks and for a core).
/// Only where the server loads the extension (`shared_preload_libraries`; the self-contained
/// cluster does, with `track_planning`); only the copy's statements are reset and read, so a
/// shared `--server` keeps its own.
struct ServerStatementTimes {
    struct Statement {
        let label: String
        let calls: Int
        let planMilliseconds: Double
        let executeMilliseconds: Double
        var totalMilliseconds: Double { planMilliseconds + executeMilliseconds }
    }

    /// Apply's, most time first.
    let statements: [Statement]
    /// The live top-ups' inserts beside apply (LiveTopups): their time is mostly waiting for
    /// apply's row locks, not work, so it is shown apart.
    let liveTopups: Statement?
    /// Whether planning was counted (`pg_stat_statements.track_planning`); without it, planning is 0.
    let planningTracked: Bool

    /// Statements named one by one in the report; the rest are summed.
    static let namedStatements = 8

    /// Makes the extension in the copy and clears the copy's counters; false when the server does
    /// not load the extension (nothing is then read after apply).
    static func start(on connection: PostgresConnection) throws -> Bool {
        let loaded = try connection.query(BenchmarkSQL.statementStatisticsLoaded)[0].decode(0, as: Bool.self)
        guard loaded else { return false }
        _ = try connection.execute(BenchmarkSQL.createStatementStatistics)
        _ = try connection.query(BenchmarkSQL.resetStatementStatistics)
        return true
    }

    /// The copy's statements since `start`. The live top-ups' insert is told apart by its first
    /// line (pg_stat_statements stores it with its constants as parameters).
    init(on connection: PostgresConnection) throws {
        let topupLine = LiveTopups.insert.prefix { $0 != "\n" }
        var statements: [Statement] = []
        var liveTopups: Statement?
        for row in try connection.query(BenchmarkSQL.statementTimes) {
            let query = try row.decode(0, as: String.self)
            let statement = Statement(label: Self.label(query), calls: try row.decode(1, as: Int.self),
                                      planMilliseconds: Double(row.text(2) ?? "") ?? 0, executeMilliseconds: Double(row.text(3) ?? "") ?? 0)
            if query.hasPrefix(topupLine) { liveTopups = statement } else { statements.append(statement) }
        }
        self.statements = statements
        self.liveTopups = liveTopups
        planningTracked = try connection.query(BenchmarkSQL.statementPlanningTracked)[0].decode(0, as: Bool.self)
    }

    /// A statement's name in the report: the words of its leading `--` comment up to the first
    /// parenthesis, colon or comma (remedy's shared SQL says what it is there), else its first
    /// words; never a `|`, which would split the Markdown cell.
    static func label(_ query: String) -> String {
        let trimmed = query.trimmingCharacters(in: .whitespacesAndNewlines)
        let text: String
        if trimmed.hasPrefix("--") {
            let comment = trimmed.dropFirst(2).prefix { $0 != "\n" }
            text = String(comment.prefix { !"(:,".contains($0) })
        } else {
            text = trimmed.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        }
        let words = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "|", with: "/")
        return words.count > 60 ? String(words.prefix(57)) + "…" : words
    }

    /// One report cell: the named statements, then the rest, then the total, in seconds.
    var described: String {
        func seconds(_ milliseconds: Double) -> String { format(milliseconds / 1_000, digits: 2) }
        let named = statements.prefix(Self.namedStatements).map { statement in
            "`\(statement.label)` \(seconds(statement.totalMilliseconds)) s (\(statement.calls) calls"
                + (planningTracked ? ", planning \(seconds(statement.planMilliseconds)) s)" : ")")
        }
        let rest = statements.dropFirst(Self.namedStatements)
        let total = statements.reduce(0) { $0 + $1.totalMilliseconds }
        let planning = statements.reduce(0) { $0 + $1.planMilliseconds }
        return (named + (rest.isEmpty ? [] : ["\(rest.count) others \(seconds(rest.reduce(0) { $0 + $1.totalMilliseconds })) s"])).joined(separator: "; ")
            + "; in all \(seconds(total)) s" + (planningTracked ? ", of it planning \(seconds(planning)) s" : " (planning not tracked)")
            + (liveTopups.map { "; beside them the live top-ups' inserts \(seconds($0.totalMilliseconds)) s (\($0.calls) calls, mostly waiting for apply's row locks)" } ?? "")
    }
}
