import Testing
@testable import RemedyCore

/// plan.json's reader takes a read replica's position only in the form remedy writes it.
@Suite("A read replica's position in plan.json")
struct ReadReplicaPositionTests {
    @Test(arguments: ["0/0", "0/3000060", "16/B374D848", "FFFFFFFF/FFFFFFFF"])
    func anLSNAsPostgreSQLPrintsItIsWellFormed(lsn: String) {
        #expect(ReadReplicaPosition(server: "replica:5432/shop", replayLsn: lsn, lastReplayedCommitAt: "2026-11-29T16:00:00.123456Z").isWellFormed)
    }

    @Test(arguments: ["", "0", "0/", "/1", "0/3000060; DROP", "16/b374d848", "1FFFFFFFF/0", "0/3000060\n", "0/+1", "０/1"])
    func anythingElseIsNot(lsn: String) {
        #expect(!ReadReplicaPosition(server: "replica:5432/shop", replayLsn: lsn, lastReplayedCommitAt: nil).isWellFormed)
    }

    @Test func theServerAndTheCommitTimeAreChecked() {
        #expect(ReadReplicaPosition(server: "/tmp/sock:5433/shop", replayLsn: "0/1", lastReplayedCommitAt: nil).isWellFormed)
        #expect(!ReadReplicaPosition(server: "", replayLsn: "0/1", lastReplayedCommitAt: nil).isWellFormed)
        #expect(!ReadReplicaPosition(server: "replica\u{1b}[2J:5432/shop", replayLsn: "0/1", lastReplayedCommitAt: nil).isWellFormed)
        #expect(!ReadReplicaPosition(server: "replica:5432/shop", replayLsn: "0/1", lastReplayedCommitAt: "yesterday").isWellFormed)
    }
}
