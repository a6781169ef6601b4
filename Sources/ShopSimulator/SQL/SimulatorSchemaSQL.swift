/// The `simulator` schema: the ground truth the tests and `remedy demo` judge the runner by.
/// Not part of the shop; a runner must never read it.
enum SimulatorSchemaSQL {
    static let create = #"""
    CREATE SCHEMA simulator;
    COMMENT ON SCHEMA simulator IS 'Ground truth written by the remedy incident simulator; not part of the shop.';

    -- Per user: balance − ledger = bug_excess + other_drift, where ledger = Σ amount over completed
    -- topup/refund − Σ amount over completed purchase (warranty_claim 0).
    CREATE TABLE simulator.truth (
        user_id           uuid PRIMARY KEY,
        username          text NOT NULL,
        category          text NOT NULL,
        bug_excess        numeric(15,2) NOT NULL,  -- what the buggy handler left on the balance (after hand corrections)
        other_drift       numeric(15,2) NOT NULL,  -- balance − ledger not caused by the bug (and mis-corrections)
        handler_credits   integer NOT NULL,        -- times the buggy handler wrote a credit
        note              text,
        expected_balance  numeric(15,2) NOT NULL,  -- the generator's own bookkeeping of the final balance
        expected_ledger   numeric(15,2) NOT NULL
    );

    CREATE TABLE simulator.runs (
        seed              numeric(20,0) NOT NULL,
        user_count        integer NOT NULL,
        variant           text NOT NULL,
        bug_window_start  timestamptz NOT NULL,
        bug_window_end    timestamptz NOT NULL,
        golden_cases      boolean NOT NULL,
        transaction_count bigint NOT NULL,
        loaded_at         timestamptz NOT NULL DEFAULT now()
    );
    """#

    /// $1 seed (text), $2 users, $3 variant, $4 window start, $5 window end, $6 golden cases.
    static let recordRun = #"""
    INSERT INTO simulator.runs (seed, user_count, variant, bug_window_start, bug_window_end, golden_cases, transaction_count)
    SELECT $1::numeric, $2, $3, $4, $5, $6, count(*) FROM public.transactions
    """#

    static let truthTotals = #"""
    SELECT category, count(*)::int, sum(bug_excess), sum(other_drift)
    FROM simulator.truth GROUP BY category
    """#
}
