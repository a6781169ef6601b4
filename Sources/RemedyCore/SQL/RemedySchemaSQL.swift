/// remedy's own schema, beside the shop's tables. Each migration runs once, in order, inside one
/// transaction; `remedy init` applies the missing ones. Never edit a released migration: add one.
enum RemedySchemaSQL {
    static let migrations: [(version: Int, sql: String)] = [(1, version1), (2, version2), (3, version3), (4, version4), (5, version5), (6, version6), (7, version7), (8, version8), (9, version9), (10, version10), (11, version11)]

    static let version1 = #"""
    CREATE SCHEMA IF NOT EXISTS remedy;

    CREATE TABLE remedy.schema_version (
        version     integer PRIMARY KEY,
        applied_at  timestamptz NOT NULL DEFAULT now()
    );

    -- One row: this installation's identity (plans and signatures are bound to it) and the
    -- quorum that may change the trusted approvers.
    CREATE TABLE remedy.installation (
        singleton        boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        installation_id  uuid NOT NULL,
        approvers_quorum text[] NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now()
    );

    -- The trusted keys. Rows are only ever added by init or by a quorum-signed update.
    CREATE TABLE remedy.approver_sets (
        version     integer PRIMARY KEY,
        file_digest text NOT NULL,
        signatures  jsonb NOT NULL DEFAULT '[]',
        created_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE remedy.approvers (
        set_version integer NOT NULL REFERENCES remedy.approver_sets(version),
        public_key  text NOT NULL,
        name        text NOT NULL,
        role        text NOT NULL,
        PRIMARY KEY (set_version, public_key)
    );

    CREATE TABLE remedy.plans (
        digest        text PRIMARY KEY,
        job           text NOT NULL,
        kind          text NOT NULL,
        spec_digest   text NOT NULL,
        planner_key   text NOT NULL,
        planner_name  text NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        expires_at    timestamptz NOT NULL,
        bundle_path   text,
        totals        jsonb NOT NULL
    );

    CREATE TABLE remedy.approvals (
        plan_digest text NOT NULL REFERENCES remedy.plans(digest),
        public_key  text NOT NULL,
        name        text NOT NULL,
        role        text NOT NULL,
        signature   text NOT NULL,
        signed_at   timestamptz NOT NULL,
        PRIMARY KEY (plan_digest, public_key)
    );

    CREATE TABLE remedy.runs (
        id            uuid PRIMARY KEY,
        plan_digest   text NOT NULL REFERENCES remedy.plans(digest),
        job           text NOT NULL,
        operator_key  text NOT NULL,
        operator_name text NOT NULL,
        host          text NOT NULL,
        pid           integer NOT NULL,
        started_at    timestamptz NOT NULL DEFAULT now(),
        finished_at   timestamptz,
        outcome       text
    );

    -- remedy's book. A correction is two entries that net to zero: the movement discovered (the
    -- unrecorded credit, +E) and its reversal (-E). The idempotency key makes a correction
    -- impossible to book twice, whichever plan or run tries.
    CREATE TABLE remedy.entries (
        id              bigserial PRIMARY KEY,
        idempotency_key text NOT NULL,
        kind            text NOT NULL CHECK (kind IN ('discovered', 'reversal', 'revert')),
        job             text NOT NULL,
        plan_digest     text NOT NULL REFERENCES remedy.plans(digest),
        run_id          uuid NOT NULL REFERENCES remedy.runs(id),
        user_id         text NOT NULL,
        amount          numeric(20,2) NOT NULL,
        balance_before  numeric(20,2),
        balance_after   numeric(20,2),
        evidence        jsonb NOT NULL,
        booked_at       timestamptz NOT NULL DEFAULT now(),
        UNIQUE (idempotency_key, kind)
    );
    CREATE INDEX entries_user ON remedy.entries (user_id);
    CREATE INDEX entries_plan ON remedy.entries (plan_digest);

    -- What a policy did not take back (clamp): still owed by the user, counted in the excess.
    CREATE TABLE remedy.receivables (
        id              bigserial PRIMARY KEY,
        idempotency_key text NOT NULL UNIQUE,
        job             text NOT NULL,
        plan_digest     text NOT NULL REFERENCES remedy.plans(digest),
        user_id         text NOT NULL,
        amount          numeric(20,2) NOT NULL CHECK (amount > 0),
        opened_at       timestamptz NOT NULL DEFAULT now(),
        settled_at      timestamptz
    );
    CREATE INDEX receivables_open ON remedy.receivables (job, user_id) WHERE settled_at IS NULL;

    -- One runner per job: a row with an expiry, not a session advisory lock, so it works through
    -- a transaction pooler and a killed runner's lease lapses.
    CREATE TABLE remedy.leases (
        job         text PRIMARY KEY,
        owner       uuid NOT NULL,
        host        text NOT NULL,
        pid         integer NOT NULL,
        acquired_at timestamptz NOT NULL,
        expires_at  timestamptz NOT NULL
    );

    -- Append-only, hash-chained: row_hash = SHA-256(prev_hash || '\n' || content), computed by
    -- remedy and re-checked by `remedy audit verify`.
    CREATE TABLE remedy.audit_log (
        seq          bigint PRIMARY KEY,
        recorded_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
        action       text NOT NULL,
        actor        text NOT NULL,
        plan_digest  text,
        user_id      text,
        content      text NOT NULL,
        prev_hash    text NOT NULL,
        row_hash     text NOT NULL UNIQUE
    );

    CREATE FUNCTION remedy.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'remedy.% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'corrections are new rows (remedy revert), never edits';
    END $$;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON remedy.audit_log
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON remedy.audit_log
        FOR EACH STATEMENT EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON remedy.entries
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON remedy.entries
        FOR EACH STATEMENT EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER approvals_append_only BEFORE UPDATE OR DELETE ON remedy.approvals
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER approvers_append_only BEFORE UPDATE OR DELETE ON remedy.approvers
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_change();
    """#

    /// Acknowledged holds (the nightly drift job): a person marks a held user as known, with a
    /// reason. The mark holds the user's numbers and lapses when they change; it is never edited.
    static let version2 = #"""
    CREATE TABLE remedy.acknowledgements (
        id               bigserial PRIMARY KEY,
        job              text NOT NULL,
        user_id          text NOT NULL,
        balance          numeric(20,2) NOT NULL,
        ledger           numeric(20,2) NOT NULL,
        open_receivables numeric(20,2) NOT NULL,
        reason           text NOT NULL CHECK (length(reason) BETWEEN 3 AND 2000),
        acknowledged_by  text NOT NULL,
        public_key       text NOT NULL,
        plan_digest      text NOT NULL REFERENCES remedy.plans(digest),
        acknowledged_at  timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX acknowledgements_user ON remedy.acknowledgements (job, user_id);
    CREATE TRIGGER acknowledgements_append_only BEFORE UPDATE OR DELETE ON remedy.acknowledgements
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_change();
    ALTER TABLE remedy.plans ADD COLUMN standing_policy text;
    """#

    /// The trusted approvers become checkable on every read: each set keeps the approvers file it
    /// was recorded from (and, after the first, its signers' signatures in full), so keys added,
    /// swapped or a set inserted by SQL are refused rather than trusted. Sets recorded before this
    /// version have no file; they stay accepted (up to `unverifiable_sets`), later ones must have
    /// one. The sets and the installation row become append-only like the audit log.
    static let version3 = #"""
    ALTER TABLE remedy.approver_sets ADD COLUMN file_text text;
    ALTER TABLE remedy.installation ADD COLUMN unverifiable_sets integer NOT NULL DEFAULT 0;
    UPDATE remedy.installation SET unverifiable_sets = (SELECT COALESCE(max(version), 0) FROM remedy.approver_sets);
    CREATE TRIGGER approver_sets_append_only BEFORE UPDATE OR DELETE ON remedy.approver_sets
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER approver_sets_no_truncate BEFORE TRUNCATE ON remedy.approver_sets
        FOR EACH STATEMENT EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER approvers_no_truncate BEFORE TRUNCATE ON remedy.approvers
        FOR EACH STATEMENT EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER installation_append_only BEFORE UPDATE OR DELETE ON remedy.installation
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_change();
    """#

    /// Who made a plan becomes a signed statement: the planner's signature over the digest is
    /// recorded with the plan (plans made before have none, and are refused at approve and apply).
    /// Plans rows become append-only like the other records.
    static let version4 = #"""
    ALTER TABLE remedy.plans ADD COLUMN planner_signature text;
    CREATE TRIGGER plans_append_only BEFORE UPDATE OR DELETE ON remedy.plans
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER plans_no_truncate BEFORE TRUNCATE ON remedy.plans
        FOR EACH STATEMENT EXECUTE FUNCTION remedy.refuse_change();
    """#

    /// remedy's own records, append-only throughout:
    /// - Settling a receivable is a new row in `receivable_settlements` (naming the revert line
    ///   that settled it), never an edit: the open amount is derived (`open_receivables`), and
    ///   `receivables` refuses updates and deletes like the book. Settlements made before this
    ///   version move over with the revert entry that made them, when there is one.
    /// - Approver sets recorded before version 3 (no approvers file) are pinned as they are now:
    ///   their keys are kept in `approver_set_pins` and every read compares, so a key added to an
    ///   old set by SQL is refused like one added to a current set.
    static let version5 = #"""
    CREATE TABLE remedy.receivable_settlements (
        id              bigserial PRIMARY KEY,
        receivable_key  text NOT NULL UNIQUE REFERENCES remedy.receivables(idempotency_key),
        revert_key      text NOT NULL,
        plan_digest     text REFERENCES remedy.plans(digest),
        run_id          uuid REFERENCES remedy.runs(id),
        amount          numeric(20,2) NOT NULL CHECK (amount > 0),
        settled_at      timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO remedy.receivable_settlements (receivable_key, revert_key, plan_digest, run_id, amount, settled_at)
    SELECT r.idempotency_key, k.revert_key, e.plan_digest, e.run_id, r.amount, r.settled_at
      FROM remedy.receivables r
     CROSS JOIN LATERAL (SELECT encode(sha256(convert_to('remedy-revert/v1' || E'\n' || r.idempotency_key, 'UTF8')), 'hex') AS revert_key) k
      LEFT JOIN remedy.entries e ON e.idempotency_key = k.revert_key AND e.kind = 'revert'
     WHERE r.settled_at IS NOT NULL;
    DROP INDEX remedy.receivables_open;
    ALTER TABLE remedy.receivables DROP COLUMN settled_at;
    CREATE INDEX receivables_user ON remedy.receivables (job, user_id);
    CREATE VIEW remedy.open_receivables AS
    SELECT r.id, r.idempotency_key, r.job, r.plan_digest, r.user_id, r.amount - COALESCE(s.amount, 0) AS amount, r.opened_at
      FROM remedy.receivables r
      LEFT JOIN remedy.receivable_settlements s ON s.receivable_key = r.idempotency_key
     WHERE r.amount - COALESCE(s.amount, 0) <> 0;
    CREATE TRIGGER receivables_append_only BEFORE UPDATE OR DELETE ON remedy.receivables
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER receivables_no_truncate BEFORE TRUNCATE ON remedy.receivables
        FOR EACH STATEMENT EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER receivable_settlements_append_only BEFORE UPDATE OR DELETE ON remedy.receivable_settlements
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER receivable_settlements_no_truncate BEFORE TRUNCATE ON remedy.receivable_settlements
        FOR EACH STATEMENT EXECUTE FUNCTION remedy.refuse_change();

    CREATE TABLE remedy.approver_set_pins (
        set_version integer PRIMARY KEY REFERENCES remedy.approver_sets(version),
        approvers   jsonb NOT NULL,
        pinned_at   timestamptz NOT NULL DEFAULT now()
    );
    INSERT INTO remedy.approver_set_pins (set_version, approvers)
    SELECT s.version, COALESCE((SELECT jsonb_agg(jsonb_build_object('name', a.name, 'role', a.role, 'public_key', a.public_key))
                                  FROM remedy.approvers a WHERE a.set_version = s.version), '[]'::jsonb)
      FROM remedy.approver_sets s
     WHERE s.file_text IS NULL AND s.version <= (SELECT unverifiable_sets FROM remedy.installation);
    CREATE TRIGGER approver_set_pins_append_only BEFORE UPDATE OR DELETE ON remedy.approver_set_pins
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER approver_set_pins_no_truncate BEFORE TRUNCATE ON remedy.approver_set_pins
        FOR EACH STATEMENT EXECUTE FUNCTION remedy.refuse_change();
    """#

    /// The lease records its holder's pid namespace (boot id and /proc/self/ns/pid): a holder's pid
    /// is checked for life only from the same namespace, never from a container that merely
    /// shares the host name. NULL (leases taken before this version) is never taken over by pid.
    static let version6 = #"""
    ALTER TABLE remedy.leases ADD COLUMN pid_namespace text;
    """#

    /// The secret `export --redact` keys its pseudonyms with (one row, written by `remedy init`
    /// right after this migration). It never appears in an export, so a recipient who knows every
    /// user id still cannot tell whose line is whose; the same secret keeps a user's pseudonym the
    /// same in every export of this installation. Never changed: a new secret would break that.
    static let version7 = #"""
    CREATE TABLE remedy.redaction_key (
        singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        secret     bytea NOT NULL CHECK (length(secret) >= 32),
        created_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TRIGGER redaction_key_append_only BEFORE UPDATE OR DELETE ON remedy.redaction_key
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_change();
    CREATE TRIGGER redaction_key_no_truncate BEFORE TRUNCATE ON remedy.redaction_key
        FOR EACH STATEMENT EXECUTE FUNCTION remedy.refuse_change();
    """#

    /// A correction's evidence is stored once, on its `discovered` entry: the `reversal` beside it
    /// (the same idempotency key) repeated the same jsonb, a third of what apply wrote per
    /// correction. Reversals booked before this version keep theirs; every other kind must carry it.
    /// And the audit row hash's formula, as computed, where a DBA reading the schema finds it.
    static let version8 = #"""
    ALTER TABLE remedy.entries ALTER COLUMN evidence DROP NOT NULL;
    ALTER TABLE remedy.entries ADD CONSTRAINT entries_evidence_kept CHECK (kind = 'reversal' OR evidence IS NOT NULL);
    COMMENT ON COLUMN remedy.entries.evidence IS
        'why: the plan line''s attribution. NULL on a reversal booked from schema version 8 on: its discovered entry (the same idempotency_key) holds it';
    -- The table's first migration states an older row-hash formula in a comment; this is the one computed.
    COMMENT ON COLUMN remedy.audit_log.row_hash IS
        'SHA-256 over the length-prefixed fields remedy-audit/v1, prev_hash, seq, recorded_at, action, actor, plan_digest, user_id, content (AuditLog.rowHash; remedy audit verify recomputes it)';
    """#

    /// An entry's plan is its run's plan: one foreign key on (run_id, plan_digest) to the run
    /// replaces the two that checked each entry's run and plan apart (a third of apply's entry
    /// insert, per row). The run's own key to its plan still holds the plan; an entry booked under
    /// one plan's run but naming another plan is now refused as well.
    static let version9 = #"""
    ALTER TABLE remedy.runs ADD CONSTRAINT runs_id_plan_digest_key UNIQUE (id, plan_digest);
    ALTER TABLE remedy.entries ADD CONSTRAINT entries_run_plan_fkey
        FOREIGN KEY (run_id, plan_digest) REFERENCES remedy.runs (id, plan_digest);
    ALTER TABLE remedy.entries DROP CONSTRAINT entries_run_id_fkey, DROP CONSTRAINT entries_plan_digest_fkey;
    """#

    /// Two per-row costs of apply's entry insert, paid inside the batch's row locks, replaced by
    /// what they guarded (measured on batches of 200 entries: 8.8 ms → 6.0 ms):
    /// - the evidence is the plan line's canonical JSON as text, byte for byte what was signed,
    ///   instead of jsonb, which parsed every document and kept it in an order of its own
    ///   (`evidence::jsonb` still queries it). Entries booked before keep jsonb's rendering;
    /// - an entry's run and plan are checked once per statement, over all the rows it inserted,
    ///   instead of by a foreign key's trigger per row. What the key also gave, that a run's id
    ///   and plan never change and a run is never removed, triggers on remedy.runs now refuse.
    static let version10 = #"""
    ALTER TABLE remedy.entries ALTER COLUMN evidence TYPE text USING evidence::text;
    COMMENT ON COLUMN remedy.entries.evidence IS
        'why: the plan line''s attribution, as the canonical JSON the plan signed (jsonb''s rendering for entries booked before schema version 10). NULL on a reversal booked from schema version 8 on: its discovered entry (the same idempotency_key) holds it';
    -- Its search_path is fixed: a writer of another schema must not put an operator of its own
    -- in front of the comparison that decides whether an entry is refused.
    CREATE FUNCTION remedy.refuse_entries_off_their_run() RETURNS trigger LANGUAGE plpgsql
        SET search_path = pg_catalog, pg_temp AS $$
    DECLARE
        stray record;
    BEGIN
        SELECT b.idempotency_key, b.kind, b.run_id, b.plan_digest INTO stray
          FROM booked b
         WHERE NOT EXISTS (SELECT 1 FROM remedy.runs r WHERE r.id = b.run_id AND r.plan_digest = b.plan_digest)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'entries_run_plan: entry % (%) names run % and plan %, and that run did not apply that plan',
                    stray.idempotency_key, stray.kind, stray.run_id, stray.plan_digest
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RETURN NULL;
    END $$;
    CREATE TRIGGER entries_run_plan AFTER INSERT ON remedy.entries REFERENCING NEW TABLE AS booked
        FOR EACH STATEMENT EXECUTE FUNCTION remedy.refuse_entries_off_their_run();
    CREATE FUNCTION remedy.refuse_run_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'remedy.runs keeps every run, its id and its plan, for the entries booked under it: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER runs_keep_identity BEFORE UPDATE OF id, plan_digest OR DELETE ON remedy.runs
        FOR EACH ROW EXECUTE FUNCTION remedy.refuse_run_change();
    CREATE TRIGGER runs_no_truncate BEFORE TRUNCATE ON remedy.runs
        FOR EACH STATEMENT EXECUTE FUNCTION remedy.refuse_run_change();
    ALTER TABLE remedy.entries DROP CONSTRAINT entries_run_plan_fkey;
    """#

    /// A correction's entry says what a revert puts back; a receivable counts in every excess remedy
    /// computes after it (detect, verify, a revert's amounts), and its settlement takes it out. So
    /// from this version each is signed by the operator whose run wrote it (BookSignature); an
    /// acknowledgement, a person's decision to leave a hold be, by that person (Acknowledgements). A writer of remedy's schema may insert rows, and chain audit rows for
    /// them (the chain has no key), but cannot sign: plan, verify and revert refuse an entry,
    /// receivable, settlement or acknowledgement no trusted key signed. The constraints are NOT VALID: rows written before them
    /// keep no signature, and every row inserted after them must carry one.
    static let version11 = #"""
    ALTER TABLE remedy.entries ADD COLUMN signer text, ADD COLUMN signature text;
    ALTER TABLE remedy.entries ADD CONSTRAINT entries_signed CHECK (kind = 'reversal' OR (signer IS NOT NULL AND signature IS NOT NULL)) NOT VALID;
    COMMENT ON COLUMN remedy.entries.signature IS
        'the booking operator''s Ed25519 signature (base64) over BookSignature.entry, on every discovered and revert entry; NULL on reversals and on entries booked before schema version 11';
    ALTER TABLE remedy.receivables ADD COLUMN signer text, ADD COLUMN signature text;
    ALTER TABLE remedy.receivables ADD CONSTRAINT receivables_signed CHECK (signer IS NOT NULL AND signature IS NOT NULL) NOT VALID;
    COMMENT ON COLUMN remedy.receivables.signature IS
        'the opening operator''s Ed25519 signature (base64) over BookSignature.opened; NULL only on receivables opened before schema version 11';
    ALTER TABLE remedy.receivable_settlements ADD COLUMN signer text, ADD COLUMN signature text;
    ALTER TABLE remedy.receivable_settlements ADD CONSTRAINT receivable_settlements_signed CHECK (signer IS NOT NULL AND signature IS NOT NULL) NOT VALID;
    COMMENT ON COLUMN remedy.receivable_settlements.signature IS
        'the revert''s operator''s Ed25519 signature (base64) over BookSignature.settled; NULL only on settlements written before schema version 11';
    ALTER TABLE remedy.acknowledgements ADD COLUMN signature text;
    ALTER TABLE remedy.acknowledgements ADD CONSTRAINT acknowledgements_signed CHECK (signature IS NOT NULL) NOT VALID;
    COMMENT ON COLUMN remedy.acknowledgements.signature IS
        'the acknowledging person''s Ed25519 signature (base64, public_key''s) over Acknowledgements.statement; NULL only on acknowledgements made before schema version 11';
    """#

    /// Serializes concurrent `remedy init` runs (transaction-scoped: safe behind a pooler).
    static let initLockKey: Int64 = 0x7265_6d65_6479_0001
    static let lockInit = "SELECT pg_advisory_xact_lock($1)"
    static let schemaExists = "SELECT to_regclass('remedy.schema_version') IS NOT NULL"
    static let currentVersion = "SELECT COALESCE(max(version), 0) FROM remedy.schema_version"
    static let recordVersion = "INSERT INTO remedy.schema_version (version) VALUES ($1)"
    static let latestVersionAvailable = migrations.map(\.version).max() ?? 0
}
