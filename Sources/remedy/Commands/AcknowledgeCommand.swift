import ArgumentParser
import RemedyCore
import Rupiah

struct AcknowledgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acknowledge",
        abstract: "Mark a held user as known, with a reason (recorded and audited).",
        discussion: "The mark carries the user's balance, ledger and receivables as the plan shows them, and lapses as soon as any of them changes: new drift on that user is reported again.")

    @Argument(help: "The plan bundle that holds the user.", completion: Completion.bundle) var plan: String
    @Option(help: "The held user's id, or their label when it is unique.") var user: String
    @Option(help: "Why this hold is known and may stay (shown in later plans).") var reason: String
    @Option(help: ArgumentHelp("Your key file (a trusted approver).", valueName: "FILE"), completion: Completion.key) var key: String
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run {
            let hold = try Acknowledgements(connection: try database.connect())
                .acknowledge(userIdOrLabel: user, in: try PlanBundle.readStreaming(plan, keepingHoldsAndSettled: true, logger: Terminal.logger), reason: reason, key: try SigningKey.load(path: key))
            if output.json {
                try Terminal.printJSON(AcknowledgeOutput(userId: hold.userId, label: hold.label, excess: hold.excess,
                                                         holdReason: hold.reason.rawValue, reason: reason, bundle: plan))
                return
            }
            Terminal.print("acknowledged \(hold.label.terminalLabel) (\(hold.userId)): excess \(hold.excess.rupiah), [\(hold.reason.rawValue)]; lapses when the numbers change")
        }
    }
}

struct AcknowledgeOutput: Encodable {
    let userId: String
    let label: String
    let excess: Money
    let holdReason: String
    let reason: String
    let bundle: String
}
