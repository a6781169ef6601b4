import ArgumentParser
import Foundation
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
    @Flag(help: "users.id a bigint identity instead of a uuid (transactions.user_id follows).") var bigintUserIds = false
    @Flag(help: "transactions' type and status as enum types.") var enumTypeAndStatus = false
    @Option(help: ArgumentHelp("transactions' times as timestamp(3) without a time zone, holding this zone's wall time (UTC, Asia/Jakarta).", valueName: "ZONE"))
    var naiveTimestamps: String?
    @Flag(help: "transactions partitioned by month of created_at (primary key (id, created_at)).") var partitionedTransactions = false
    @Flag(help: "Balances in DECIMAL(10,2).") var narrowBalance = false
    @Flag(help: "users.id is a foreign key to auth.users.") var authUsers = false
    @Flag(help: "A BEFORE UPDATE trigger on users recording each balance change in balance_history.") var balanceHistoryTrigger = false
    @Option(help: ArgumentHelp("Force row-level security on both tables and create this login role with BYPASSRLS and remedy's grants.", valueName: "ROLE"))
    var rowSecurityReader: String?
    @Option(help: ArgumentHelp("Store each callback's raw body and X-Callback-Signature (columns tripay_callback_raw, tripay_callback_signature), signed with the merchant key held in this environment variable.", valueName: "VAR"))
    var signCallbacksWithEnv: String?
    @Option(help: "With --sign-callbacks-with-env: callbacks given a forged signature (listed in simulator.tampered_callbacks).") var forgedCallbacks = 0
    @Option(help: "With --sign-callbacks-with-env: callbacks whose stored body is altered after signing.") var alteredCallbacks = 0
    @Option(help: "With --sign-callbacks-with-env: callbacks stored without their signature.") var unsignedCallbacks = 0
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
                                                  bigintUserIds: bigintUserIds, enumTypeAndStatus: enumTypeAndStatus, naiveTimestampsZone: naiveTimestamps,
                                                  partitionedTransactions: partitionedTransactions, narrowBalance: narrowBalance, authUsers: authUsers,
                                                  balanceHistoryTrigger: balanceHistoryTrigger, rowSecurityReader: rowSecurityReader)
            if let name = signCallbacksWithEnv {
                guard let key = ProcessInfo.processInfo.environment[name], !key.isEmpty else {
                    throw RemedyError(.badInput, "$\(name) is not set: --sign-callbacks-with-env names the variable holding the merchant key to sign the callbacks with")
                }
                options.signedCallbacks = SignedCallbacks(privateKey: key, forged: forgedCallbacks, altered: alteredCallbacks, unsigned: unsignedCallbacks)
            } else if forgedCallbacks + alteredCallbacks + unsignedCallbacks != 0 {
                throw RemedyError(.badInput, "--forged-callbacks, --altered-callbacks and --unsigned-callbacks need --sign-callbacks-with-env")
            }
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
