import Postgres

/// The stored callbacks' signatures (`schema.transactions.callback_signature`): every paid
/// bug-window top-up's stored body checked against its stored X-Callback-Signature with the
/// merchant's private key. Forged, altered or unsigned callbacks are a warning: plan holds the
/// corrections that rest on them. A body kept only as jsonb cannot be verified, and check says so
/// rather than calling every callback forged.
extension SchemaCheck {
    func checkCallbackSignatures(_ mapping: ShopSchemaMap.CallbackSignature, key: MerchantKey, _ template: SQLTemplate,
                                 on connection: PostgresConnection, into findings: inout [CheckFinding]) throws -> CallbackSignatures? {
        let table = spec.schema.transactions.table
        let spelled = "\(table.unqualifiedName).\(mapping.rawBody.description)"
        // The access check above reported a missing or unreadable column.
        guard let row = try connection.query(CheckSQL.column, [table.sql, mapping.rawBody.description]).first else { return nil }
        let bodyType: String = try row.decode(4)
        var facts = ["body_column": mapping.rawBody.description, "body_type": bodyType,
                     "signature_column": mapping.signature.description, "private_key_env": mapping.privateKeyEnvironment]
        guard CallbackSignatures.verifiableTypes.contains(bodyType) else {
            let why = bodyType == "jsonb"
                ? "jsonb keeps a parsed copy (keys reordered, whitespace dropped), not the bytes Tripay signed"
                : "a \(bodyType) column is not the body as received"
            findings.append(CheckFinding("callbacks", .warning,
                "the stored callback signatures cannot be verified: \(spelled) is \(bodyType), and \(why); no callback is called forged for it; map callback_signature.raw_body to a text, bytea or json column holding the body as received, or remove callback_signature",
                facts: facts))
            return nil
        }
        guard hasWindow else {
            findings.append(CheckFinding("callbacks", .info, "no window parameters: the stored callbacks were not verified", facts: facts))
            return nil
        }
        let result = try CallbackSignatures.verify(mapping, bodyIsBytea: bodyType == "bytea", key: key, template: template, on: connection)
        let mismatched = result.references(.mismatch)
        let missing = result.references(.missing)
        facts["verified"] = String(result.verified)
        facts["mismatched"] = String(mismatched.count)
        facts["missing"] = String(missing.count)
        facts["mismatched_references"] = mismatched.joined(separator: ",")
        facts["missing_references"] = missing.joined(separator: ",")
        let checked = result.verified + result.failures.count
        if result.failures.isEmpty {
            findings.append(CheckFinding("callbacks", .ok,
                "\(result.verified) of \(checked) paid window top-ups: the stored callback's signature verifies with $\(mapping.privateKeyEnvironment)",
                facts: facts))
            return result
        }
        findings.append(CheckFinding("callbacks", .info,
            "\(result.verified) of \(checked) paid window top-ups: the stored callback's signature verifies with $\(mapping.privateKeyEnvironment)",
            facts: facts))
        if !mismatched.isEmpty {
            findings.append(CheckFinding("callbacks", .warning,
                "\(mismatched.count) stored callback(s) fail their signature, forged or altered after Tripay signed them (\(Self.listed(mismatched))): plan holds the corrections that rest on them; ask Tripay for these references"
                    + (result.verified == 0 ? "; not one verifies: is $\(mapping.privateKeyEnvironment) this merchant's private key (production, not sandbox)?" : ""),
                facts: ["mismatched": String(mismatched.count), "references": mismatched.joined(separator: ",")]))
        }
        if !missing.isEmpty {
            findings.append(CheckFinding("callbacks", .warning,
                "\(missing.count) paid window top-up(s) have no stored signature or body (\(Self.listed(missing))): plan holds the corrections that rest on them",
                facts: ["missing": String(missing.count), "references": missing.joined(separator: ",")]))
        }
        return result
    }

    /// The first few references, and how many more.
    static func listed(_ references: [String], first: Int = 10) -> String {
        let shown = references.prefix(first).joined(separator: ", ")
        return references.count > first ? "\(shown) and \(references.count - first) more" : shown
    }
}
