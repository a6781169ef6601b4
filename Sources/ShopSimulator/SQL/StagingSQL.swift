/// Unlogged staging tables the generator streams into with COPY. Events are partitioned by round
/// so each round's statements read only that round's rows. Dropped when the load is done.
enum StagingSQL {
    static let create = #"""
    DROP SCHEMA IF EXISTS simulator_stage CASCADE;
    CREATE SCHEMA simulator_stage;

    CREATE UNLOGGED TABLE simulator_stage.users (
        id                uuid NOT NULL,
        username          text NOT NULL,
        email             text,
        full_name         text,
        role              text NOT NULL,
        created_at        bigint NOT NULL,
        last_update_at    bigint NOT NULL,
        category          text NOT NULL,
        bug_excess        numeric(15,2) NOT NULL,
        other_drift       numeric(15,2) NOT NULL,
        handler_credits   integer NOT NULL,
        expected_balance  numeric(15,2) NOT NULL,
        expected_ledger   numeric(15,2) NOT NULL,
        note              text
    );

    -- One row per event; `at`, `paid_at` and `completed_at` are unix seconds.
    CREATE TABLE simulator_stage.events (
        round             integer NOT NULL,
        kind              smallint NOT NULL,
        user_id           uuid NOT NULL,
        tx_id             uuid,
        at                bigint NOT NULL,
        transaction_type  text,
        amount            numeric(15,2),
        status            text,
        product_name      text,
        reference         text,
        merchant_ref      text,
        method_code       text,
        method_name       text,
        tripay_status     text,
        total_amount      numeric(15,2),
        fee_merchant      numeric(15,2),
        fee_customer      numeric(15,2),
        total_fee         numeric(15,2),
        amount_received   numeric(15,2),
        stored_total      numeric(15,2),
        paid_at           bigint,
        completed_at      bigint,
        keep_callback     boolean,
        handler           smallint,
        expected_balance  numeric(15,2),
        new_balance       numeric(15,2),
        delta             numeric(15,2)
    ) PARTITION BY LIST (round);

    -- The balance the buggy handler read, until it writes it back (one outstanding read per user).
    CREATE UNLOGGED TABLE simulator_stage.handler_reads (
        user_id          uuid PRIMARY KEY,
        tx_id            uuid NOT NULL,
        read_balance     numeric(15,2) NOT NULL,
        amount_received  numeric(15,2) NOT NULL
    );
    """#

    /// One unlogged partition per round, 1 through `rounds` (a fixed bound, not data).
    static func partitions(rounds: Int) -> String {
        (1...rounds).map { round in
            "CREATE UNLOGGED TABLE simulator_stage.events_r\(round) PARTITION OF simulator_stage.events FOR VALUES IN (\(round));"
        }.joined(separator: "\n")
    }

    static let copyUsers = #"""
    COPY simulator_stage.users (id, username, email, full_name, role, created_at, last_update_at, category, bug_excess,
        other_drift, handler_credits, expected_balance, expected_ledger, note) FROM STDIN
    """#

    static let copyEvents = #"""
    COPY simulator_stage.events (round, kind, user_id, tx_id, at, transaction_type, amount, status, product_name,
        reference, merchant_ref, method_code, method_name, tripay_status, total_amount, fee_merchant, fee_customer,
        total_fee, amount_received, stored_total, paid_at, completed_at, keep_callback, handler, expected_balance,
        new_balance, delta) FROM STDIN
    """#

    static let analyze = "ANALYZE simulator_stage.users; ANALYZE simulator_stage.events;"

    static let drop = "DROP SCHEMA simulator_stage CASCADE;"
}
