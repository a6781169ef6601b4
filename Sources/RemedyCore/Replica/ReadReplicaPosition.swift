/// The read replica a plan's snapshot was taken on (`remedy plan --read-url`), recorded in plan.json
/// so approvers see it: the snapshot shows the primary as of this replay position, and apply, on
/// the primary, skips as stale every line whose excess changed since. Absent from plans made on the
/// primary.
public struct ReadReplicaPosition: Codable, Sendable, Equatable {
    /// `host:port/database` as libpq reached the replica; never the URL, which may hold a password.
    public var server: String
    /// `pg_last_wal_replay_lsn()` in the snapshot, as PostgreSQL prints an LSN (`16/B374D848`).
    public var replayLsn: String
    /// `pg_last_xact_replay_timestamp()`: when the last transaction the replica had replayed
    /// committed on the primary (UTC); nil when it had replayed none since it started.
    public var lastReplayedCommitAt: String?

    public init(server: String, replayLsn: String, lastReplayedCommitAt: String?) {
        self.server = server
        self.replayLsn = replayLsn
        self.lastReplayedCommitAt = lastReplayedCommitAt
    }

    /// One line for people.
    public var description: String {
        "read replica \(server), replayed up to WAL \(replayLsn)"
            + (lastReplayedCommitAt.map { " (last replayed commit \($0))" } ?? "")
    }

    /// What remedy writes, and nothing else: plan.json's reader refuses a position in another form.
    var isWellFormed: Bool {
        ReadReplicaPosition.isLSN(replayLsn)
            && !server.isEmpty && !server.unicodeScalars.contains { $0.properties.generalCategory == .control }
            && lastReplayedCommitAt.map { (try? Timestamp(iso8601: $0)) != nil } ?? true
    }

    /// `X/Y` with one to eight upper-case hex digits each, as pg_lsn's output is.
    static func isLSN(_ text: String) -> Bool {
        let halves = text.split(separator: "/", omittingEmptySubsequences: false)
        return halves.count == 2 && halves.allSatisfy { half in
            (1...8).contains(half.count) && half.allSatisfy { ("0"..."9").contains($0) || ("A"..."F").contains($0) }
        }
    }
}

extension ReadReplicaPosition: CanonicalJSONReadable {
    init?(members m: inout CanonicalJSONReader.Members) {
        guard let lastReplayedCommitAt = m.optionalString("last_replayed_commit_at"), let replayLsn = m.string("replay_lsn"),
              let server = m.string("server") else { return nil }
        self.init(server: server, replayLsn: replayLsn, lastReplayedCommitAt: lastReplayedCommitAt)
    }
}
