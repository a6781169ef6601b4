import Foundation
import RemedyCore

extension SizeRun {
    /// The quorum's approvals (finance and a second engineer) as `remedy approve` children, whose
    /// peak RSS is a target too; then the bundle, read back for the yardsticks.
    func approve(_ directory: String, commands: RemedyCommands, into figures: inout Figures) throws -> PlanBundle {
        for name in ["sari", "budi"] {
            let run = try commands.required("approve-\(name)", ["approve", directory, "--key", "\(work)/\(name).key"])
            figures.commands.append(CommandFigures(name: "approve (\(name))", run: run, bytes: nil))
        }
        return try PlanBundle.read(directory)
    }

    /// Every command whose peak RSS is a target, after apply, on the same copy: finance's exports,
    /// verify, audit verify, show --all and --json, revert (the reversal's plan), the balance-drift
    /// job over every user, and acknowledging one hold; then the HTML report in headless Chromium.
    /// A command that fails is reported with its exit status, not fatal: the others still measure.
    func runReadingCommands(planDirectory: String, heldUser: String?, commands: RemedyCommands, into figures: inout Figures) throws {
        for kind in ["csv", "json", "html"] {
            let out = "\(work)/export.\(kind)"
            let run = try commands.run("export-\(kind)", ["export", planDirectory, "--format", kind, "--out", out])
            figures.commands.append(CommandFigures(name: "export --format \(kind)", run: run, bytes: fileSize(out)))
        }
        let others: [(name: String, label: String, arguments: [String])] = [
            ("verify", "verify", ["verify", planDirectory] + commands.jobsArguments),
            ("audit verify", "audit-verify", ["audit", "verify"]),
            ("show --all", "show-all", ["show", planDirectory, "--all"]),
            ("show --json", "show-json", ["show", planDirectory, "--json"]),
            ("revert (plans the reversal)", "revert", ["revert", planDirectory, "--key", "\(work)/andi.key", "--out", "\(work)/revert"] + commands.jobsArguments),
            ("plan balance-drift (examine: all_users)", "drift", planArguments(job: "balance-drift", out: "\(work)/drift")),
        ]
        for command in others {
            let run = try commands.run(command.label, command.arguments)
            figures.commands.append(CommandFigures(name: command.name, run: run, bytes: command.label == "show-json" ? fileSize("\(work)/show-json.stdout") : nil))
        }
        if let heldUser {
            let run = try commands.run("acknowledge", ["acknowledge", planDirectory, "--user", heldUser, "--reason", "benchmark: known", "--key", "\(work)/sari.key"])
            figures.commands.append(CommandFigures(name: "acknowledge (one hold)", run: run, bytes: nil))
        }
        if let chromium = settings.chromium {
            figures.browser = try HeadlessBrowser(chromium: chromium, work: work).render("\(work)/export.html")
        }
    }
}
