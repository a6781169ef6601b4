import ArgumentParser
import RemedyCore

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print a plan bundle's summary again (checks plan.json against its digest).")

    @Argument(help: "The plan bundle directory.") var plan: String
    @Flag(help: "Show every line, not the first of each section.") var all = false
    @Option(help: "Lines shown per section.") var maxLines = 200
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run {
            let bundle = try PlanBundle.read(plan)
            if output.json {
                try Terminal.printJSON(bundle.plan)
            } else {
                PlanSummary(bundle: bundle, maxLines: all ? Int.max : maxLines).lines.forEach { Terminal.print($0) }
                Terminal.print("")
                Terminal.print(bundle.path)
            }
        }
    }
}
