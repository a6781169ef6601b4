import Foundation
import RemedyCore

extension SizeRun {
    /// Apply again with fsync, synchronous_commit and full_page_writes on, on a fresh copy of the
    /// shop with its own plan and approvals, and the same live top-ups (each now waits for its flush). The bare
    /// UPDATE and the book floor run after it and commit, so they pay their WAL flush too; the
    /// copy is dropped, and the settings put back, when done.
    func durableApply(ring: KeyRing) throws -> ApplyFigures {
        let restore = try DurableSettings(server: server).enable()
        defer { restore() }
        let copy = try server.copy(of: template)
        defer { server.drop(copy.name) }
        note("durable: fsync, synchronous_commit, full_page_writes on; fresh copy \(copy.name)")
        let connection = try server.connect(database: copy.name)
        defer { connection.close() }
        _ = try giveLedgerIndex(connection)
        let commands = RemedyCommands(remedyPath: settings.remedyPath, url: server.url(database: copy.name), jobs: settings.jobs, work: work,
                                      applyArguments: settings.applyArguments)
        var figures = ApplyFigures()
        figures.settings = try connection.query(BenchmarkSQL.settings).map { try $0.decode(0, as: String.self) }
        _ = try RemedyStore(connection: connection).initialize(approvers: try ApproverFile.load(path: ring.approversFile))
        let directory = "\(work)/durable-plan"
        _ = try commands.required("durable-plan", planArguments(job: "tripay-double-credit", out: directory))
        let bundle = try signedOff(directory, ring: ring, connection: connection)
        try applyWithLiveTopups(bundle: bundle, directory: directory, label: "durable-apply", commands: commands, connection: connection, into: &figures)
        let moves = try BalanceMoves(bundle.plan)
        let yardsticks = Yardsticks(connection: connection, runs: 1)
        figures.bareUpdate = try yardsticks.bareUpdate(moves, commit: true)
        figures.bookFloor = try yardsticks.bookFloor(digest: bundle.digest, moves, commit: true)
        return figures
    }
}
