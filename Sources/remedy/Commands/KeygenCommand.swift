import ArgumentParser
import RemedyCore

struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an Ed25519 signing key; print its entry for the approvers file.",
        discussion: "FILE gets the private key with mode 0600 and is never overwritten. The printed YAML entry goes under `approvers:` in the approvers file.")

    @Option(help: "The person's name, as approvals will show it.") var name: String
    @Option(help: "The person's role (a free word: finance, engineering, …); job quorums name roles.") var role: String
    @Option(help: ArgumentHelp("Where to write the private key.", valueName: "FILE"), completion: Completion.key) var out: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        try Terminal.run {
            let key = try SigningKey.generate(name: name, role: role)
            try key.write(to: out)
            Terminal.progress("wrote the private key to \(out) (mode 0600); keep it secret")
            let approver = Approver(name: key.name, role: key.role, publicKey: key.publicKey)
            if output.json {
                try Terminal.printJSON(KeygenOutput(name: key.name, role: key.role, publicKey: key.publicKey, keyFile: out, approversEntry: approver.yamlEntry))
                return
            }
            // One line per call: Terminal.print shows a line break inside a value escaped.
            for line in approver.yamlEntry.split(separator: "\n") {
                Terminal.print(String(line))
            }
        }
    }
}

struct KeygenOutput: Encodable {
    let name: String
    let role: String
    let publicKey: PublicKeyText
    let keyFile: String
    /// The YAML entry for the approvers file, lines joined with "\n".
    let approversEntry: String
}
