import ArgumentParser
import RemedyCore
import Rupiah
import ShopSimulator

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Load a simulated shop with the double-credit incident into an EMPTY database (for trials and benchmarks).",
        discussion: "Creates the shop's tables, replays a deterministic history through the balance trigger and the buggy handler, and writes the truth to simulator.truth. Never point it at a real shop.")

    @Option(help: "Users to simulate.") var users = 2_000
    @Option(help: "Seed: the same seed and size give the same database.") var seed: UInt64 = 1
    @Option(help: "The balance trigger: guarded (fires on the transition) or refiring (the seeds' simplified body).",
            completion: .list(TriggerVariant.allCases.map(\.rawValue)))
    var trigger: String = TriggerVariant.guarded.rawValue
    @Option(help: ArgumentHelp("Move the shop's tables into this schema (e.g. Shop) instead of public.", valueName: "NAME"))
    var schema = "public"
    @Flag(help: "Only the top-up callback writes completed_at: purchases have it NULL.") var purchasesWithoutCompletedAt = false
    @Flag(help: "Balances in DECIMAL(10,2).") var narrowBalance = false
    @Flag(help: "users.id is a foreign key to auth.users.") var authUsers = false
    @Flag(help: "A BEFORE UPDATE trigger on users recording each balance change in balance_history.") var balanceHistoryTrigger = false
    @Option(help: ArgumentHelp("Force row-level security on both tables and create this login role with BYPASSRLS and remedy's grants.", valueName: "ROLE"))
    var rowSecurityReader: String?
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run {
            guard let variant = TriggerVariant(rawValue: trigger) else {
                throw RemedyError(.badInput, "--trigger \(trigger) must be one of: \(TriggerVariant.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard (1...50_000_000).contains(users) else { throw RemedyError(.badInput, "--users must be from 1 to 50000000") }
            var options = SimulationOptions(seed: seed, userCount: users, triggerVariant: variant)
            options.includeGoldenCases = true
            options.schemaVariant = SchemaVariant(schemaName: schema, purchasesWithoutCompletedAt: purchasesWithoutCompletedAt,
                                                  narrowBalance: narrowBalance, authUsers: authUsers,
                                                  balanceHistoryTrigger: balanceHistoryTrigger, rowSecurityReader: rowSecurityReader)
            let summary = try ShopSimulator.load(options, into: try database.connect(), progress: { Terminal.logger.notice("\($0)", metadata: ["step": "simulate"]) })
            if output.json {
                try Terminal.printJSON(SimulateOutput(users: summary.userCount, transactions: summary.transactionCount,
                                                      elapsedMilliseconds: summary.elapsedMilliseconds,
                                                      bugExcess: summary.totalBugExcess, otherDrift: summary.totalOtherDrift))
                return
            }
            Terminal.print("loaded \(summary.userCount) users and \(summary.transactionCount) transactions in \(summary.elapsedMilliseconds) ms")
            Terminal.print("bug excess \(summary.totalBugExcess.rupiah), other drift \(summary.totalOtherDrift.rupiah)")
        }
    }
}

struct SimulateOutput: Encodable {
    let users: Int
    let transactions: Int
    let elapsedMilliseconds: Int
    /// Σ simulator.truth.bug_excess and other_drift: what a correct plan finds.
    let bugExcess: Money
    let otherDrift: Money
}
