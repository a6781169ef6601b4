import Foundation

extension SizeRun {
    /// Every command whose peak RSS is a target, after apply, on the same copy: finance's exports,
    /// verify, audit verify, show --all, revert (the reversal's plan) and the balance-drift job
    /// over every user; then the HTML report in headless Chromium. A command that fails is
    /// reported with its exit status, not fatal: the others still measure.
    func runReadingCommands(planDirectory: String, commands: RemedyCommands, into figures: inout Figures) throws {
        for kind in ["csv", "json", "html"] {
            let out = "\(work)/export.\(kind)"
            let run = try commands.run("export-\(kind)", ["export", planDirectory, "--format", kind, "--out", out])
            figures.commands.append(CommandFigures(name: "export --format \(kind)", run: run, bytes: fileSize(out)))
        }
        let others: [(name: String, label: String, arguments: [String])] = [
            ("verify", "verify", ["verify", planDirectory] + commands.jobsArguments),
            ("audit verify", "audit-verify", ["audit", "verify"]),
            ("show --all", "show-all", ["show", planDirectory, "--all"]),
            ("revert (plans the reversal)", "revert", ["revert", planDirectory, "--key", "\(work)/andi.key", "--out", "\(work)/revert"] + commands.jobsArguments),
            ("plan balance-drift (examine: all_users)", "drift", planArguments(job: "balance-drift", out: "\(work)/drift")),
        ]
        for command in others {
            figures.commands.append(CommandFigures(name: command.name, run: try commands.run(command.label, command.arguments), bytes: nil))
        }
        if let chromium = settings.chromium {
            figures.browser = try HeadlessBrowser(chromium: chromium, work: work).render("\(work)/export.html")
        }
    }
}
