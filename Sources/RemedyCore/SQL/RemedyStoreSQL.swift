/// Statements on remedy's own schema (see RemedySchemaSQL for the tables).
enum RemedyStoreSQL {
    static let installation = "SELECT installation_id::text, approvers_quorum, unverifiable_sets FROM remedy.installation"
    static let createInstallation = "INSERT INTO remedy.installation (installation_id, approvers_quorum) VALUES (gen_random_uuid(), $1::text[])"
    static let databaseName = "SELECT current_database()"
    /// Readable by superusers and pg_monitor members only; identity falls back to the installation id.
    static let systemIdentifier = "SELECT system_identifier::text FROM pg_control_system()"
    static let canReadControlData = "SELECT has_function_privilege('pg_control_system()', 'EXECUTE')"

    /// The redaction secret: made once, by init (a second init keeps the first).
    static let insertRedactionKey = "INSERT INTO remedy.redaction_key (secret) VALUES ($1) ON CONFLICT (singleton) DO NOTHING"
    static let redactionKeyTableExists = "SELECT to_regclass('remedy.redaction_key') IS NOT NULL"
    static let redactionKey = "SELECT secret FROM remedy.redaction_key"

    static let approverSets = "SELECT version, file_digest, signatures::text, file_text FROM remedy.approver_sets ORDER BY version"
    static let approverSetPins = "SELECT set_version, approvers::text FROM remedy.approver_set_pins ORDER BY set_version"
    static let approversOfSet = "SELECT name, role, public_key FROM remedy.approvers WHERE set_version = $1 ORDER BY name, public_key"
    static let insertApproverSet = "INSERT INTO remedy.approver_sets (version, file_digest, signatures, file_text) VALUES ($1, $2, $3::jsonb, $4)"
    static let insertApprover = "INSERT INTO remedy.approvers (set_version, public_key, name, role) VALUES ($1, $2, $3, $4)"

    static let insertPlan = #"""
    INSERT INTO remedy.plans (digest, job, kind, spec_digest, planner_key, planner_name, expires_at, bundle_path, totals, standing_policy, planner_signature)
    VALUES ($1, $2, $3, $4, $5, $6, $7::timestamptz, $8, $9::jsonb, $10, $11)
    ON CONFLICT (digest) DO NOTHING
    """#
    static let planExists = "SELECT bundle_path FROM remedy.plans WHERE digest = $1"
    /// The planner's key and signature as recorded when the plan was made.
    static let plannerOfPlan = "SELECT planner_key, COALESCE(planner_signature, '') FROM remedy.plans WHERE digest = $1"

    static let insertApproval = #"""
    INSERT INTO remedy.approvals (plan_digest, public_key, name, role, signature, signed_at)
    VALUES ($1, $2, $3, $4, $5, $6::timestamptz)
    ON CONFLICT (plan_digest, public_key) DO NOTHING
    """#
    static let approvalsOfPlan = "SELECT name, role, public_key, signature, to_char(signed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM remedy.approvals WHERE plan_digest = $1 ORDER BY signed_at, public_key"

    static let insertAcknowledgement = #"""
    INSERT INTO remedy.acknowledgements (job, user_id, balance, ledger, open_receivables, reason, acknowledged_by, public_key, plan_digest, signature)
    VALUES ($1, $2, $3::numeric, $4::numeric, $5::numeric, $6, $7, $8, $9, $10)
    """#
    /// The latest acknowledgement per user of a job, with the numbers it was given for and its signature.
    static let acknowledgements = #"""
    SELECT DISTINCT ON (user_id) user_id, balance::text, ledger::text, open_receivables::text, reason, acknowledged_by,
           to_char(acknowledged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), public_key, plan_digest, signature
      FROM remedy.acknowledgements
     WHERE job = $1
     ORDER BY user_id, id DESC
    """#
}
