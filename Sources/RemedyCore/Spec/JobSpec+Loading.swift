import Crypto
import Foundation
import Rupiah
import Yams

extension JobSpec {
    /// The largest job file read; a spec is a few kilobytes.
    static let maxFileBytes = 1 << 20

    /// Loads `directory/job.yaml` and the SQL it names, validating every key and name.
    public static func load(directory: String) throws -> JobSpec {
        let yamlPath = directory + "/job.yaml"
        // Every file of the job is read once, here: what is parsed and run is what the digest
        // covers (hashing the files again by path let an editor swap them in between).
        var files = try readJobDirectory(directory)
        guard let yamlData = files["job.yaml"] else {
            throw RemedyError(.badSpec, "\(yamlPath): cannot read the file; check the job name and --jobs directory")
        }
        let yamlText = try text(yamlData, path: yamlPath)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yamlText)
        } catch {
            throw RemedyError(.badSpec, "\(yamlPath): not valid YAML (\(String(describing: error).split(separator: "\n").first ?? "")); fix the file")
        }
        var top = try SpecNode(root, path: "", file: yamlPath)

        let name = try top.string("job")
        guard SpecName.isJob(name) else {
            throw RemedyError(.badSpec, "\(yamlPath): job \"\(TerminalSafe.text(name))\" must be lowercase letters, digits and dashes")
        }
        let version = try top.int("version", range: 1...1_000_000)
        let description = try top.string("description")
        let strategyText = try top.string("strategy")
        guard let strategy = Strategy(rawValue: strategyText) else {
            throw RemedyError(.badSpec, "\(yamlPath): strategy \"\(strategyText)\" is unknown; known: \(Strategy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let examineText = try top.optionalString("examine") ?? Examine.allUsers.rawValue
        guard let examine = Examine(rawValue: examineText) else {
            throw RemedyError(.badSpec, "\(yamlPath): examine \"\(examineText)\" must be one of \(Examine.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if examine == .candidates, strategy == .balanceDrift {
            throw RemedyError(.badSpec, "\(yamlPath): examine: candidates cannot find drift outside the bug window, which is what a balance-drift job is for; use examine: all_users")
        }

        let parameters = try loadParameters(try top.child("parameters"))
        var schemaNode = try top.child("schema")
        let schema = try loadSchema(&schemaNode)
        try schemaNode.finish()
        var ledgerNode = try top.child("ledger")
        let ledger = try loadLedger(&ledgerNode)
        try ledgerNode.finish()
        var signaturesNode = try top.child("signatures")
        let signatures = try loadSignatures(&signaturesNode)
        try signaturesNode.finish()

        let policyText = try top.optionalString("negative_balance") ?? NegativeBalancePolicy.hold.rawValue
        guard let negativeBalance = NegativeBalancePolicy(rawValue: policyText) else {
            throw RemedyError(.badSpec, "\(yamlPath): negative_balance \"\(policyText)\" must be one of hold, allow, clamp")
        }

        var approvalNode = try top.child("approval")
        let quorumRoles = try approvalNode.strings("quorum")
        guard !quorumRoles.isEmpty, quorumRoles.count <= 16 else {
            throw RemedyError(.badSpec, "\(yamlPath): approval.quorum must list from 1 to 16 roles")
        }
        let approval = ApprovalRule(quorumRoles: quorumRoles, planValidHours: try approvalNode.int("plan_valid_hours", default: 72, range: 1...24 * 90))
        try approvalNode.finish()

        var applyNode = try top.child("apply")
        let apply = ApplySettings(
            batchSize: try applyNode.int("batch_size", default: 200, range: 1...10_000),
            lockTimeoutMilliseconds: try applyNode.int("lock_timeout_milliseconds", default: 2_000, range: 10...600_000),
            statementTimeoutMilliseconds: try applyNode.int("statement_timeout_milliseconds", default: 30_000, range: 100...3_600_000),
            leaseSeconds: try applyNode.int("lease_seconds", default: 300, range: 10...86_400))
        try applyNode.finish()

        var snapshot = SnapshotSettings(statementTimeoutMilliseconds: 1_800_000)
        if var snapshotNode = try top.optionalChild("snapshot") {
            snapshot = SnapshotSettings(statementTimeoutMilliseconds: try snapshotNode.int("statement_timeout_milliseconds", default: 1_800_000, range: 1_000...86_400_000))
            try snapshotNode.finish()
        }

        var limitsNode = try top.child("limits")
        let maxSingleText = try limitsNode.optionalString("max_single_adjustment")
        let maxSingle: Money?
        do { maxSingle = try maxSingleText.map { try Money(exactText: $0) } } catch {
            throw RemedyError(.badSpec, "\(yamlPath): limits.max_single_adjustment: \(error)")
        }
        let limits = Limits(
            maxCandidatesPerUser: try limitsNode.int("max_candidates_per_user", default: 64, range: 1...4_096),
            maxSearchStates: try limitsNode.int("max_search_states", default: 200_000, range: 1_000...50_000_000),
            maxSingleAdjustment: maxSingle,
            maxUsers: try limitsNode.int("max_users", default: 1_000_000, range: 1...100_000_000))
        try limitsNode.finish()

        var notifyEnvironment = Notifier.defaultEnvironmentVariable
        if var notifyNode = try top.optionalChild("notify") {
            notifyEnvironment = try notifyNode.optionalString("webhook_env") ?? notifyEnvironment
            guard SpecName.isEnvironmentVariable(notifyEnvironment) else {
                throw RemedyError(.badSpec, "\(yamlPath): notify.webhook_env must name an environment variable (the URL is a secret and never goes in the spec)")
            }
            try notifyNode.finish()
        }

        var gateway: GatewaySettings?
        if var gatewayNode = try top.optionalChild("gateway") {
            gateway = try loadGateway(&gatewayNode)
            try gatewayNode.finish()
        }

        var sqlNode = try top.child("sql")
        var sql: [String: String] = [:]
        for role in sqlNode.keys() {
            let file = try sqlNode.string(role)
            // A job's own file, or one of the library files in the jobs directory's shared/.
            guard file.range(of: #"^(shared/)?[A-Za-z0-9_-]+\.sql\z"#, options: .regularExpression) != nil else {
                throw RemedyError(.badSpec, "\(yamlPath): sql.\(role) must name a .sql file in the job directory or shared/NAME.sql, not \"\(file)\"")
            }
            let path = file.hasPrefix("shared/") ? URL(fileURLWithPath: directory).deletingLastPathComponent().path + "/" + file : directory + "/" + file
            if file.hasPrefix("shared/"), files[file] == nil {
                guard let data = try readRegularFile(path) else { throw RemedyError(.badSpec, "\(path): cannot read the file; check the job name and --jobs directory") }
                files[file] = data
            }
            guard let data = files[file] else { throw RemedyError(.badSpec, "\(path): cannot read the file; check the job name and --jobs directory") }
            sql[role] = try text(data, path: path)
        }
        for role in ["detect", "recheck"] where sql[role] == nil {
            throw RemedyError(.badSpec, "\(yamlPath): sql.\(role) is missing")
        }
        // Apply runs the recheck under the row locks of one batch: it must read those users' books
        // only, or it rechecks nobody (or everybody).
        guard sql["recheck"]!.range(of: #"\{\{\s*\$user_ids\s*\}\}"#, options: .regularExpression) != nil else {
            throw RemedyError(.badSpec, "\(yamlPath): sql.recheck never uses {{$user_ids}}: it must read the books of the given users only (see jobs/shared/recheck.sql)")
        }
        try top.finish()

        return JobSpec(
            name: name, version: version, description: description, strategy: strategy, examine: examine,
            parameters: parameters, schema: schema, ledger: ledger, signatures: signatures,
            negativeBalance: negativeBalance, approval: approval, apply: apply, snapshot: snapshot, limits: limits, notifyWebhookEnvironment: notifyEnvironment, gateway: gateway,
            sql: sql, digest: digest(files), directory: directory)
    }

    private static func loadParameters(_ node: SpecNode) throws -> [ParameterDeclaration] {
        var node = node
        var declarations: [ParameterDeclaration] = []
        for key in node.keys() {
            guard SpecName.isParameter(key) else {
                throw RemedyError(.badSpec, "\(node.file): parameter \"\(TerminalSafe.text(key))\" must be lowercase letters, digits and _")
            }
            var declaration = try node.child(key)
            let typeText = try declaration.string("type")
            let kind: ParameterDeclaration.Kind
            switch typeText {
            case "timestamptz": kind = .timestamptz
            case "choice": kind = .choice(try declaration.strings("choices"))
            default: throw RemedyError(.badSpec, "\(node.file): parameters.\(key).type \"\(typeText)\" must be timestamptz or choice")
            }
            let required = try declaration.bool("required", default: false)
            let defaultValue = try declaration.optionalString("default")
            if case .choice(let choices) = kind, let defaultValue, !choices.contains(defaultValue) {
                throw RemedyError(.badSpec, "\(node.file): parameters.\(key).default \"\(defaultValue)\" is not one of its choices")
            }
            if required, defaultValue != nil {
                throw RemedyError(.badSpec, "\(node.file): parameters.\(key) is required and has a default; choose one")
            }
            declarations.append(ParameterDeclaration(
                name: key, kind: kind, required: required, defaultValue: defaultValue,
                description: try declaration.optionalString("description") ?? ""))
            try declaration.finish()
        }
        return declarations
    }

    private static func loadSchema(_ node: inout SpecNode) throws -> ShopSchemaMap {
        var usersNode = try node.child("users")
        let users = ShopSchemaMap.Users(
            table: try usersNode.identifier("table", qualified: true),
            id: try usersNode.identifier("id"),
            balance: try usersNode.identifier("balance"),
            label: try usersNode.identifier("label"),
            contact: try usersNode.optionalIdentifier("contact"))
        try usersNode.finish()
        var txNode = try node.child("transactions")
        let callback = try txNode.optionalIdentifier("callback")
        let transactions = ShopSchemaMap.Transactions(
            table: try txNode.identifier("table", qualified: true),
            id: try txNode.identifier("id"),
            user: try txNode.identifier("user"),
            type: try txNode.identifier("type"),
            status: try txNode.identifier("status"),
            amount: try txNode.identifier("amount"),
            reference: try txNode.identifier("reference"),
            completedAt: ShopSchemaMap.TimeColumn(try txNode.identifiers("completed_at")),
            createdAt: ShopSchemaMap.TimeColumn(try txNode.identifiers("created_at")),
            callback: callback,
            callbackSignature: try loadCallbackSignature(&txNode, callback: callback),
            localTimeZone: try loadLocalTimeZone(&txNode, file: node.file))
        try txNode.finish()

        var receivedNode = try node.child("amount_received")
        let amountReceived = try loadSource(&receivedNode, callback: transactions.callback, allowUnixSeconds: false)
        try receivedNode.finish()

        var sourcesNode = try node.child("paid_at_sources")
        var paidAtSources: [String: ShopSchemaMap.Source] = [:]
        for key in sourcesNode.keys() {
            var sourceNode = try sourcesNode.child(key)
            let source = try loadSource(&sourceNode, callback: transactions.callback, allowUnixSeconds: true)
            // updated_at moves on any edit of the row, so it cannot say when a payment happened.
            if source.column?.unqualifiedName.lowercased() == "updated_at" {
                throw RemedyError(.badSpec, "\(node.file): schema.paid_at_sources.\(key) uses updated_at, which moves on any edit; use tripay_paid_at, completed_at or the callback's paid_at")
            }
            paidAtSources[key] = source
            try sourceNode.finish()
        }
        return ShopSchemaMap(users: users, transactions: transactions, amountReceived: amountReceived, paidAtSources: paidAtSources)
    }

    /// `schema.transactions.local_time_zone`: a zone name as the tz database spells them (letters,
    /// digits, `/`, `_`, `+`, `-`). Whether PostgreSQL knows it is checked on the database
    /// (ShopCatalog), before anything is read.
    private static func loadLocalTimeZone(_ txNode: inout SpecNode, file: String) throws -> String? {
        guard let zone = try txNode.optionalString("local_time_zone") else { return nil }
        let allowed = zone.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || [UInt8(ascii: "/"), UInt8(ascii: "_"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(byte)
        }
        guard allowed, (1...64).contains(zone.utf8.count), zone.first?.isLetter == true else {
            throw RemedyError(.badSpec, "\(file): schema.transactions.local_time_zone must be a time zone name such as Asia/Jakarta, not \"\(zone.prefix(80))\"")
        }
        return zone
    }

    /// `schema.transactions.callback_signature`: the signature column, the body it signs (raw_body,
    /// else the callback column) and the variable that holds the merchant's private key.
    private static func loadCallbackSignature(_ txNode: inout SpecNode, callback: SQLIdentifier?) throws -> ShopSchemaMap.CallbackSignature? {
        guard var node = try txNode.optionalChild("callback_signature") else { return nil }
        let signature = try node.identifier("signature")
        guard let body = try node.optionalIdentifier("raw_body") ?? callback else {
            throw RemedyError(.badSpec, "\(node.file): \(node.path).raw_body is needed (the column holding the callback's body as received), or map schema.transactions.callback")
        }
        let environment = try node.string("private_key_env")
        guard SpecName.isEnvironmentVariable(environment) else {
            throw RemedyError(.badSpec, "\(node.file): \(node.path).private_key_env must name an environment variable (the merchant's private key is a secret and never goes in the spec)")
        }
        try node.finish()
        return ShopSchemaMap.CallbackSignature(signature: signature, rawBody: body, privateKeyEnvironment: environment)
    }

    private static func loadSource(_ node: inout SpecNode, callback: SQLIdentifier?, allowUnixSeconds: Bool) throws -> ShopSchemaMap.Source {
        let column = try node.optionalIdentifier("column")
        let field = try node.optionalString("callback_field")
        let unit = allowUnixSeconds ? try node.optionalString("unit") : nil
        if let field {
            guard callback != nil else {
                throw RemedyError(.badSpec, "\(node.file): \(node.path).callback_field needs schema.transactions.callback (the raw callback column)")
            }
            guard SpecName.isField(field) else {
                throw RemedyError(.badSpec, "\(node.file): \(node.path).callback_field \"\(field)\" is not a plain field name")
            }
        }
        guard column != nil || field != nil else {
            throw RemedyError(.badSpec, "\(node.file): \(node.path) needs a column or a callback_field")
        }
        if let unit, unit != "unix_seconds" {
            throw RemedyError(.badSpec, "\(node.file): \(node.path).unit \"\(unit)\" must be unix_seconds")
        }
        return ShopSchemaMap.Source(column: column, callbackField: field, unixSeconds: unit == "unix_seconds")
    }

    private static func loadLedger(_ node: inout SpecNode) throws -> LedgerRule {
        let completed = try node.string("completed_status")
        var typesNode = try node.child("types")
        var signs: [String: Int] = [:]
        for type in typesNode.keys() {
            let sign = try typesNode.int(type, range: -1...1)
            signs[type] = sign
        }
        try typesNode.finish()
        let topup = try node.string("topup_type")
        let purchase = try node.string("purchase_type")
        guard signs[topup] == 1 else { throw RemedyError(.badSpec, "\(node.file): ledger.types.\(topup) (the topup_type) must be 1") }
        guard signs[purchase] == -1 else { throw RemedyError(.badSpec, "\(node.file): ledger.types.\(purchase) (the purchase_type) must be -1") }
        return LedgerRule(completedStatus: completed, signs: signs, topupType: topup, purchaseType: purchase)
    }

    private static func loadSignatures(_ node: inout SpecNode) throws -> SignatureRules {
        var handler = try node.child("handler_credit")
        let maxRepeats = try handler.int("max_repeats", default: 3, range: 1...10)
        var callbackLog: SignatureRules.CallbackLog?
        if var log = try handler.optionalChild("callback_log") {
            callbackLog = SignatureRules.CallbackLog(
                table: try log.identifier("table", qualified: true), reference: try log.identifier("reference"),
                status: try log.optionalIdentifier("status"), handledStatuses: log.has("handled_statuses") ? try log.strings("handled_statuses") : [])
            if callbackLog?.status != nil, callbackLog?.handledStatuses.isEmpty == true {
                throw RemedyError(.badSpec, "\(node.file): signatures.handler_credit.callback_log.status needs handled_statuses (e.g. [PAID])")
            }
            try log.finish()
        }
        try handler.finish()
        var refire = try node.child("trigger_refire")
        let modeText = try refire.optionalString("mode") ?? "auto"
        guard let mode = SignatureRules.RefireMode(rawValue: modeText) else {
            throw RemedyError(.badSpec, "\(node.file): signatures.trigger_refire.mode \"\(modeText)\" must be auto, yes or no")
        }
        let triggerName = try refire.string("trigger")
        try refire.finish()
        var lost = try node.child("lost_update")
        let lostEnabled = try lost.bool("enabled", default: true)
        let lostTolerance = try lost.int("tolerance_seconds", default: 60, range: 0...3_600)
        let lostMax = try lost.int("max_purchases", default: 2, range: 0...8)
        try lost.finish()
        var deductionStatuses: [String] = []
        if var deduction = try node.optionalChild("purchase_deduction") {
            if try deduction.bool("enabled", default: true) { deductionStatuses = try deduction.strings("statuses") }
            try deduction.finish()
        }
        return SignatureRules(
            handlerCreditMaxRepeats: maxRepeats, callbackLog: callbackLog, triggerRefireMode: mode, balanceTriggerName: triggerName,
            lostUpdateEnabled: lostEnabled, lostUpdateToleranceSeconds: lostTolerance, lostUpdateMaxPurchases: lostMax,
            purchaseDeductionStatuses: deductionStatuses)
    }

    /// Most entries a job directory may hold (its job.yaml, its SQL, a note or two).
    static let maxDirectoryEntries = 256

    static func text(_ data: Data, path: String) throws -> String {
        guard let text = String(validating: data, as: UTF8.self) else {
            throw RemedyError(.badSpec, "\(path): not valid UTF-8")
        }
        return text
    }

    /// Every regular file of the job directory (names not starting with a dot), read once; a
    /// subdirectory is left out, and anything else (a FIFO, a socket, a device) is refused.
    static func readJobDirectory(_ directory: String) throws -> [String: Data] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw RemedyError(.badSpec, "\(directory): cannot read the job directory; check the job name and --jobs directory")
        }
        let visible = names.filter { !$0.hasPrefix(".") }
        guard visible.count <= maxDirectoryEntries else {
            throw RemedyError(.badSpec, "\(directory): holds \(visible.count) entries, more than a job's \(maxDirectoryEntries); a job directory holds its job.yaml and SQL")
        }
        var files: [String: Data] = [:]
        for name in visible {
            if let data = try readRegularFile(directory + "/" + name) { files[name] = data }
        }
        return files
    }

    /// The file's bytes, read from one descriptor that is checked to be a regular file (opened
    /// without blocking, so a FIFO put in its place cannot hold the load); nil for a directory.
    static func readRegularFile(_ path: String) throws -> Data? {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw RemedyError(.badSpec, "\(path): cannot read the file; check the job name and --jobs directory") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw RemedyError(.badSpec, "\(path): cannot read the file") }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: return nil
        case S_IFREG: break
        default: throw RemedyError(.badSpec, "\(path): not a regular file (a FIFO, socket or device); a job directory holds files only")
        }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        // Bounded: each pass adds a chunk or ends, and more than maxFileBytes is refused.
        while status.st_size <= maxFileBytes, data.count <= maxFileBytes {
            let count = read(descriptor, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw RemedyError(.badSpec, "\(path): cannot read the file (\(String(cString: strerror(errno))))") }
            if count == 0 { return data }
            data.append(contentsOf: chunk[..<count])
        }
        throw RemedyError(.badSpec, "\(path): larger than \(maxFileBytes) bytes")
    }

    /// SHA-256 over the bytes read: every file of the job directory, then the shared SQL it uses
    /// (`shared/NAME.sql`), each by name and in that order (the digests policies list were made so):
    /// any edit changes it, and it is of what runs.
    static func digest(_ files: [String: Data]) -> String {
        var hasher = SHA256()
        let (shared, own) = (files.keys.filter { $0.hasPrefix("shared/") }.sorted(), files.keys.filter { !$0.hasPrefix("shared/") }.sorted())
        for name in own + shared {
            let data = files[name]!
            hasher.update(data: Data("\(name)\0\(data.count)\0".utf8))
            hasher.update(data: data)
        }
        return hasher.finalize().hexString
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hex, two digits a byte (what `String(format: "%02x")` gives, without its cost:
    /// plan hashes an idempotency key per line, the audit log a row hash per row).
    var hexString: String {
        let bytes = Array(self)
        // Written straight into the string's storage, the digits from a static table: every
        // line's rules and every audit row ask for one.
        return String(unsafeUninitializedCapacity: bytes.count * 2) { text in
            ("0123456789abcdef" as StaticString).withUTF8Buffer { digits in
                for (index, byte) in bytes.enumerated() {
                    text[2 * index] = digits[Int(byte >> 4)]
                    text[2 * index + 1] = digits[Int(byte & 0x0f)]
                }
            }
            return bytes.count * 2
        }
    }
}
